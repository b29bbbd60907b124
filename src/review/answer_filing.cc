// Filing of a Completed loop's answer into the training set: its image is copied to
// images_labeled_by_folder/<label or _none>/<loop>-<file> and the filing recorded in
// review_filings, exactly once also across a crash between the copy and the record.
#include <nlohmann/json.hpp>
#include <utility>

#include "review/review_service.h"
#include "review/review_tables.h"

namespace loupe::review {
namespace {

using nlohmann::json;

constexpr std::string_view kFilingColumns = "loop, object_key, label, workers, filed_ms";

Result<FilingResult> FilingFromRow(const db::Row& r) {
  FilingResult f;
  f.loop = r.Text(0);
  f.key = r.Text(1);
  f.label = r.OptText(2);
  json workers = json::parse(r.Text(3), nullptr, false);
  if (!workers.is_array()) return DataLossError("bad workers of filing " + f.loop);
  for (const json& w : workers) f.workers.push_back(w.get<std::string>());
  f.filed = FromUnixMillis(r.Int(4));
  return f;
}

Result<std::optional<FilingResult>> LoadFiling(db::Transaction& tx, std::string_view loop) {
  ASSIGN_OR_RETURN(
      std::optional<db::Row> row,
      tx.QueryOne("SELECT " + std::string(kFilingColumns) + " FROM review_filings WHERE loop = ?",
                  {std::string(loop)}));
  if (!row) return std::optional<FilingResult>();
  ASSIGN_OR_RETURN(FilingResult f, FilingFromRow(*row));
  return std::optional<FilingResult>(std::move(f));
}

std::string Basename(std::string_view key) {
  auto slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

// Where the answer of a Completed loop is filed; the key is the loop's own.
std::string FilingKey(const LoopInfo& loop) {
  const std::string folder = loop.label ? *loop.label : std::string(kNoneFolder);
  return std::string(kLabeledPrefix) + folder + "/" + loop.input.name + "-" +
         Basename(loop.input.image);
}

}  // namespace

Result<FilingResult> ReviewService::FileAnswer(std::string_view loop_name) {
  LoopInfo loop;
  std::optional<FilingResult> earlier;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<LoopRow> row, LoadLoop(tx, loop_name));
    if (!row) return NotFoundError("no human loop '" + std::string(loop_name) + "'");
    loop = std::move(row->info);
    ASSIGN_OR_RETURN(earlier, LoadFiling(tx, loop_name));
    return Status::Ok();
  }));
  if (earlier) return std::move(*earlier);
  if (loop.status != LoopStatus::kCompleted) {
    return FailedPreconditionError("human loop '" + std::string(loop_name) + "' is " +
                                   std::string(LoopStatusName(loop.status)) + ", not Completed");
  }
  const std::string key = FilingKey(loop);
  // The key is the loop's own, so an object there is this loop's earlier copy (a crash hit
  // between the copy and the record): never copy twice.
  auto existing = store_.Head(key);
  if (!existing.ok()) {
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    RETURN_IF_ERROR(store_.Copy(loop.input.image, key).status());
  }
  if (options_.after_filing_copy) RETURN_IF_ERROR(options_.after_filing_copy());
  json workers = json::array();
  for (const review::Answer& a : loop.answers) workers.push_back(a.worker);
  FilingResult result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t inserted,
                     tx.Exec("INSERT INTO review_filings(" + std::string(kFilingColumns) +
                                 ") VALUES (?, ?, ?, ?, ?) ON CONFLICT(loop) DO NOTHING",
                             {loop.input.name, key, TextOrNull(loop.label), workers.dump(),
                              ToUnixMillis(clock_.Now())}));
    ASSIGN_OR_RETURN(std::optional<FilingResult> filed, LoadFiling(tx, loop.input.name));
    result = std::move(*filed);
    result.newly_filed = inserted == 1;
    return Status::Ok();
  }));
  return result;
}

Result<std::vector<FilingResult>> ReviewService::ListFilings(int limit) {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be in [1, 1000]");
  std::vector<FilingResult> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT " + std::string(kFilingColumns) +
                                  " FROM review_filings ORDER BY filed_ms DESC, loop DESC LIMIT ?",
                              {static_cast<int64_t>(limit)}));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(FilingResult f, FilingFromRow(r));
      out.push_back(std::move(f));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace loupe::review
