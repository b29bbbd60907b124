// The review_* tables: schema, row mapping and the statements shared by ReviewService's parts.
#include "review/review_tables.h"

#include <utility>

namespace loupe::review {

using nlohmann::json;

const std::vector<db::Migration>& ReviewMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "human loops, tasks, claims, filings, settings",
       "CREATE TABLE review_loops ("
       " name TEXT PRIMARY KEY,"
       " seq INTEGER NOT NULL UNIQUE,"
       " image TEXT NOT NULL,"
       " choices TEXT NOT NULL,"
       " model_label TEXT,"
       " model_confidence REAL NOT NULL,"
       " task_count INTEGER NOT NULL,"
       " team TEXT NOT NULL,"
       " availability_s INTEGER NOT NULL,"
       " time_limit_s INTEGER NOT NULL,"
       " input_json TEXT NOT NULL,"
       " status TEXT NOT NULL,"
       " created_ms INTEGER NOT NULL,"
       " expires_ms INTEGER NOT NULL,"
       " completed_ms INTEGER,"
       " label TEXT,"
       " decided_by TEXT,"
       " completing INTEGER NOT NULL DEFAULT 0);"
       "CREATE INDEX review_loops_queue ON review_loops(status, model_confidence, created_ms);"
       "CREATE INDEX review_loops_image ON review_loops(image);"
       "CREATE TABLE review_tasks ("
       " id TEXT PRIMARY KEY,"
       " loop TEXT NOT NULL REFERENCES review_loops(name),"
       " slot INTEGER NOT NULL,"
       " state TEXT NOT NULL,"
       " worker TEXT,"
       " accepted_ms INTEGER,"
       " lease_until_ms INTEGER,"
       " label TEXT,"
       " new_label INTEGER NOT NULL DEFAULT 0,"
       " submitted_ms INTEGER,"
       " UNIQUE (loop, slot));"
       "CREATE INDEX review_tasks_worker ON review_tasks(worker, state, submitted_ms);"
       // Every (loop, reviewer) pair that was ever claimed: a reviewer never gets a loop twice.
       "CREATE TABLE review_claims ("
       " loop TEXT NOT NULL,"
       " worker TEXT NOT NULL,"
       " claimed_ms INTEGER NOT NULL,"
       " PRIMARY KEY (loop, worker));"
       "CREATE TABLE review_filings ("
       " loop TEXT PRIMARY KEY,"
       " object_key TEXT NOT NULL,"
       " label TEXT,"
       " workers TEXT NOT NULL,"
       " filed_ms INTEGER NOT NULL);"
       "CREATE INDEX review_filings_time ON review_filings(filed_ms);"
       "CREATE TABLE review_settings ("
       " name TEXT PRIMARY KEY,"
       " value TEXT NOT NULL);"},
  };
  return kMigrations;
}

db::Value TextOrNull(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return *s;
}

json JsonOrNull(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json InputContent(const LoopInput& in) {
  return {
      {"Image", in.image},
      {"Choices", in.choices},
      {"ModelAnswer",
       {{"Name", JsonOrNull(in.model_answer.name)}, {"Confidence", in.model_answer.confidence}}},
      {"TaskCount", in.task_count},
      {"Team", in.team},
      {"AvailabilityLifetimeSeconds", in.availability_seconds},
      {"TaskTimeLimitSeconds", in.task_time_limit_seconds}};
}

namespace {

constexpr std::string_view kLoopColumns =
    "name, image, choices, model_label, model_confidence, task_count, team, availability_s, "
    "time_limit_s, status, created_ms, expires_ms, completed_ms, label, decided_by, completing";

Result<LoopRow> LoopFromRow(const db::Row& r) {
  LoopRow out;
  LoopInfo& l = out.info;
  l.input.name = r.Text(0);
  l.input.image = r.Text(1);
  json choices = json::parse(r.Text(2), nullptr, false);
  if (!choices.is_array()) return DataLossError("bad choices of loop " + l.input.name);
  for (const json& c : choices) l.input.choices.push_back(c.get<std::string>());
  l.input.model_answer.name = r.OptText(3);
  l.input.model_answer.confidence = r.Double(4);
  l.input.task_count = static_cast<int>(r.Int(5));
  l.input.team = r.Text(6);
  l.input.availability_seconds = r.Int(7);
  l.input.task_time_limit_seconds = r.Int(8);
  ASSIGN_OR_RETURN(l.status, ParseLoopStatus(r.Text(9)));
  l.created = FromUnixMillis(r.Int(10));
  l.expires = FromUnixMillis(r.Int(11));
  if (auto c = r.OptInt(12)) l.completed = FromUnixMillis(*c);
  l.label = r.OptText(13);
  l.decided_by = r.OptText(14).value_or("");
  out.completing = r.Int(15) != 0;
  if (l.status == LoopStatus::kCompleted) {
    l.output_key = "human_loops/" + l.input.name + "/output.json";
  }
  return out;
}

}  // namespace

Result<std::optional<LoopRow>> LoadLoop(db::Transaction& tx, std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne(std::string("SELECT ") + std::string(kLoopColumns) +
                                   " FROM review_loops WHERE name = ?",
                               {std::string(name)}));
  if (!row) return std::optional<LoopRow>();
  ASSIGN_OR_RETURN(LoopRow loop, LoopFromRow(*row));
  ASSIGN_OR_RETURN(db::Rows answers,
                   tx.Query("SELECT id, worker, label, new_label, accepted_ms, submitted_ms "
                            "FROM review_tasks WHERE loop = ? AND state = ? "
                            "ORDER BY submitted_ms, slot",
                            {std::string(name), StateParam(TaskState::kDone)}));
  for (const db::Row& a : answers) {
    loop.info.answers.push_back({a.Text(0), a.Text(1), a.OptText(2), a.Int(3) != 0,
                                 FromUnixMillis(a.Int(4)), FromUnixMillis(a.Int(5))});
  }
  return std::optional<LoopRow>(std::move(loop));
}

Result<LoopRow> LoadVisibleLoop(db::Transaction& tx, std::string_view name, const Caller& caller) {
  ASSIGN_OR_RETURN(std::optional<LoopRow> loop, LoadLoop(tx, name));
  if (!loop || !caller.MaySee(loop->info.input.team)) {
    return NotFoundError("no human loop '" + std::string(name) + "'");
  }
  return std::move(*loop);
}

std::string TeamFilter(const Caller& caller, db::Params& params) {
  if (caller.all_teams) return "1 = 1";
  std::string sql = "l.team IN (";
  for (size_t i = 0; i < caller.teams.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.emplace_back(caller.teams[i]);
  }
  return sql + ")";
}

Status ExpireDue(db::Transaction& tx, int64_t now_ms) {
  return tx
      .Exec(
          "UPDATE review_loops SET status = ? WHERE status = ? AND completing = 0 AND "
          "expires_ms <= ?",
          {StateParam(LoopStatus::kExpired), StateParam(LoopStatus::kInProgress), now_ms})
      .status();
}

Status SetLoopStatus(db::Transaction& tx, std::string_view name, LoopStatus status) {
  return tx
      .Exec("UPDATE review_loops SET status = ? WHERE name = ?",
            {StateParam(status), std::string(name)})
      .status();
}

Status MarkDecided(db::Transaction& tx, std::string_view name,
                   const std::optional<std::string>& label, std::string_view decided_by,
                   int64_t now_ms) {
  return tx
      .Exec(
          "UPDATE review_loops SET label = ?, decided_by = ?, completed_ms = ?, completing = 1 "
          "WHERE name = ?",
          {TextOrNull(label), std::string(decided_by), now_ms, std::string(name)})
      .status();
}

Result<TaskRow> LoadTask(db::Transaction& tx, std::string_view task_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne("SELECT loop, state, worker, lease_until_ms FROM review_tasks "
                               "WHERE id = ?",
                               {std::string(task_id)}));
  if (!row) return NotFoundError("no task '" + std::string(task_id) + "'");
  std::optional<TaskState> state = kTaskStateNames.Find(row->Text(1));
  if (!state) return DataLossError("bad state of task " + std::string(task_id));
  return TaskRow{row->Text(0), *state, row->OptText(2), row->OptInt(3)};
}

}  // namespace loupe::review
