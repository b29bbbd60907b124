#include "db/database.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/check.h"

namespace loupe::db {

const Value& Row::at(size_t i) const {
  CHECK(i < values_.size()) << "column " << i << " out of range";
  return values_[i];
}

bool Row::IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(at(i)); }

int64_t Row::Int(size_t i) const {
  const Value& v = at(i);
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  CHECK(std::holds_alternative<int64_t>(v)) << "column " << i << " is not an integer";
  return std::get<int64_t>(v);
}

double Row::Double(size_t i) const {
  const Value& v = at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  CHECK(std::holds_alternative<double>(v)) << "column " << i << " is not a number";
  return std::get<double>(v);
}

const std::string& Row::Text(size_t i) const {
  const Value& v = at(i);
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  CHECK(std::holds_alternative<std::string>(v)) << "column " << i << " is not text";
  return std::get<std::string>(v);
}

const std::string& Row::Bytes(size_t i) const { return Text(i); }

std::optional<int64_t> Row::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

Result<int> SchemaVersionIn(Transaction& tx, std::string_view module) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT version FROM schema_versions WHERE module = ?",
                                         {std::string(module)}));
  return row ? static_cast<int>(row->Int(0)) : 0;
}

Status ApplyMigrations(Transaction& tx, std::string_view module,
                       const std::vector<Migration>& migrations,
                       const std::function<Status(std::string_view sql)>& run_script) {
  ASSIGN_OR_RETURN(int current, SchemaVersionIn(tx, module));
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return FailedPreconditionError("database schema of '" + std::string(module) + "' is version " +
                                   std::to_string(current) + ", newer than this binary's " +
                                   std::to_string(latest));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    if (m.version != current + 1) {
      return InternalError("migrations of '" + std::string(module) + "' are not contiguous");
    }
    RETURN_IF_ERROR(run_script(m.sql).WithContext("migration " + std::string(module) + " " +
                                                  std::to_string(m.version)));
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO schema_versions(module, version, description, applied_ms) "
                "VALUES (?, ?, ?, ?) "
                "ON CONFLICT(module) DO UPDATE SET version = excluded.version, "
                "description = excluded.description, applied_ms = excluded.applied_ms",
                {std::string(module), int64_t{m.version}, std::string(m.description), now_ms})
            .status());
    spdlog::info("db: applied migration {} {} ({})", module, m.version, m.description);
    current = m.version;
  }
  return Status::Ok();
}

Result<std::optional<Row>> Transaction::QueryOne(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  if (rows.size() > 1) {
    return InternalError("query returned more than one row: " + std::string(sql));
  }
  return std::optional<Row>(std::move(rows.front()));
}

}  // namespace loupe::db
