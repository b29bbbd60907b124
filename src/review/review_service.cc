#include "review/review_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace loupe::review {
namespace {

using nlohmann::json;

// Task states (persisted through this table of names only).
constexpr std::string_view kTaskOpen = "Open";
constexpr std::string_view kTaskClaimed = "Claimed";
constexpr std::string_view kTaskDone = "Done";
constexpr std::string_view kTaskWithdrawn = "Withdrawn";
constexpr std::string_view kAllowNewLabels = "AllowNewLabels";
constexpr std::string_view kMajority = "majority";

const std::vector<db::Migration> kMigrations = {
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

db::Value Opt(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return *s;
}

json OptJson(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// The loop's input as stored, compared for idempotency and written as inputContent.
json InputContent(const LoopInput& in) {
  return {{"Image", in.image},
          {"Choices", in.choices},
          {"ModelAnswer",
           {{"Name", OptJson(in.model_answer.name)}, {"Confidence", in.model_answer.confidence}}},
          {"TaskCount", in.task_count},
          {"Team", in.team},
          {"AvailabilityLifetimeSeconds", in.availability_seconds},
          {"TaskTimeLimitSeconds", in.task_time_limit_seconds}};
}

Status ValidateInput(const LoopInput& in) {
  RETURN_IF_ERROR(ValidateLoopName(in.name));
  if (Status s = store::ValidateKey(in.image); !s.ok()) {
    return InvalidArgumentError("Image: " + s.message());
  }
  if (in.choices.empty() || in.choices.size() > 1000) {
    return InvalidArgumentError("Choices must hold 1..1000 labels");
  }
  std::vector<std::string> sorted = in.choices;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return InvalidArgumentError("Choices must not repeat a label");
  }
  for (const std::string& c : in.choices) RETURN_IF_ERROR(ValidateLabel(c));
  if (in.model_answer.name && in.model_answer.name->size() > 1000) {
    return InvalidArgumentError("ModelAnswer.Name is too long");
  }
  if (!(in.model_answer.confidence >= 0 && in.model_answer.confidence <= 100)) {
    return InvalidArgumentError("ModelAnswer.Confidence must be in [0, 100]");
  }
  if (in.task_count < 1 || in.task_count > kMaxTaskCount) {
    return InvalidArgumentError("TaskCount must be in [1, 5]");
  }
  RETURN_IF_ERROR(ValidateTeam(in.team));
  if (in.availability_seconds < 1 || in.availability_seconds > kMaxAvailabilitySeconds) {
    return InvalidArgumentError("AvailabilityLifetimeSeconds must be in [1, 864000]");
  }
  if (in.task_time_limit_seconds < 30 || in.task_time_limit_seconds > 28800) {
    return InvalidArgumentError("TaskTimeLimitSeconds must be in [30, 28800]");
  }
  return Status::Ok();
}

constexpr std::string_view kLoopColumns =
    "name, image, choices, model_label, model_confidence, task_count, team, availability_s, "
    "time_limit_s, status, created_ms, expires_ms, completed_ms, label, decided_by, completing";

struct LoopRow {
  LoopInfo info;
  bool completing = false;
};

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

// Marks loops past their availability lifetime Expired. Completions in progress never expire.
Status ExpireDue(db::Transaction& tx, int64_t now_ms) {
  return tx
      .Exec(
          "UPDATE review_loops SET status = 'Expired' WHERE status = 'InProgress' AND "
          "completing = 0 AND expires_ms <= ?",
          {now_ms})
      .status();
}

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
                            {std::string(name), std::string(kTaskDone)}));
  for (const db::Row& a : answers) {
    loop.info.answers.push_back({a.Text(0), a.Text(1), a.OptText(2), a.Int(3) != 0,
                                 FromUnixMillis(a.Int(4)), FromUnixMillis(a.Int(5))});
  }
  return std::optional<LoopRow>(std::move(loop));
}

// The loop if it exists and the caller may see its team; NotFound otherwise (a reviewer does
// not learn whether another team's loop exists).
Result<LoopRow> LoadVisibleLoop(db::Transaction& tx, std::string_view name, const Caller& caller) {
  ASSIGN_OR_RETURN(std::optional<LoopRow> loop, LoadLoop(tx, name));
  if (!loop || !caller.MaySee(loop->info.input.team)) {
    return NotFoundError("no human loop '" + std::string(name) + "'");
  }
  return std::move(*loop);
}

// "team IN (?, ?)" for the caller, or "1 = 1" for callers who see all teams.
std::string TeamFilter(const Caller& caller, db::Params& params) {
  if (caller.all_teams) return "1 = 1";
  std::string sql = "l.team IN (";
  for (size_t i = 0; i < caller.teams.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.emplace_back(caller.teams[i]);
  }
  return sql + ")";
}

// The claimable tasks of the caller (FROM ... WHERE ...), ordered by uncertainty then age.
std::string ClaimableSql(const Caller& caller, int64_t now_ms, db::Params& params) {
  params.emplace_back(now_ms);
  params.emplace_back(now_ms);
  params.emplace_back(caller.worker);
  std::string sql =
      " FROM review_tasks t JOIN review_loops l ON l.name = t.loop"
      " WHERE l.status = 'InProgress' AND l.completing = 0 AND l.expires_ms > ?"
      " AND (t.state = 'Open' OR (t.state = 'Claimed' AND t.lease_until_ms <= ?))"
      " AND NOT EXISTS (SELECT 1 FROM review_claims c WHERE c.loop = l.name AND c.worker = ?)"
      " AND ";
  return sql + TeamFilter(caller, params);
}

int64_t StartOfUtcDayMs(int64_t now_ms) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  return now_ms - (((now_ms % kDayMs) + kDayMs) % kDayMs);
}

std::string Basename(std::string_view key) {
  auto slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

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

Result<bool> AllowNewLabels(db::Transaction& tx) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne("SELECT value FROM review_settings WHERE name = ?",
                               {std::string(kAllowNewLabels)}));
  return row && row->Text(0) == "true";
}

}  // namespace

std::string OutputJson(const LoopInfo& loop) {
  json answers = json::array();
  for (const Answer& a : loop.answers) {
    json content = {{"Label", OptJson(a.label)}};
    if (a.new_label) content["NewLabel"] = true;
    double spent = std::chrono::duration<double>(a.submitted - a.accepted).count();
    answers.push_back(
        {{"acceptanceTime", FormatRfc3339(a.accepted)},
         {"answerContent", content},
         {"submissionTime", FormatRfc3339(a.submitted)},
         {"timeSpentInSeconds", spent},
         {"workerId", a.worker},
         {"workerMetadata",
          {{"identityData",
            {{"identityProviderType", "loupe"}, {"issuer", "loupe"}, {"sub", a.worker}}}}}});
  }
  json out = {{"flowDefinitionArn", "arn:loupe:review:::flow-definition/" + loop.input.team},
              {"humanAnswers", answers},
              {"humanLoopName", loop.input.name},
              {"inputContent", InputContent(loop.input)},
              {"consolidatedAnswer",
               {{"Label", OptJson(loop.label)},
                {"DecidedBy", loop.decided_by},
                {"CompletionTime",
                 loop.completed ? json(FormatRfc3339(*loop.completed)) : json(nullptr)}}}};
  return out.dump(2) + "\n";
}

Result<std::unique_ptr<ReviewService>> ReviewService::Open(db::Database& db, const Clock& clock,
                                                           store::ObjectStore& store,
                                                           events::EventLog& events,
                                                           ReviewOptions options) {
  RETURN_IF_ERROR(db.Migrate("review", kMigrations));
  auto service = std::unique_ptr<ReviewService>(
      new ReviewService(db, clock, store, events, std::move(options)));
  RETURN_IF_ERROR(service->FinishCompletions());
  return service;
}

Result<CreateResult> ReviewService::CreateLoop(const LoopInput& input) {
  RETURN_IF_ERROR(ValidateInput(input));
  auto head = store_.Head(input.image);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound) {
      return NotFoundError("Image '" + input.image + "' is not in the object store");
    }
    return head.status();
  }
  const json content = InputContent(input);
  CreateResult result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(ExpireDue(tx, now));
    ASSIGN_OR_RETURN(
        std::optional<db::Row> existing,
        tx.QueryOne("SELECT input_json FROM review_loops WHERE name = ?", {input.name}));
    if (existing) {
      if (json::parse(existing->Text(0), nullptr, false) != content) {
        return AlreadyExistsError("human loop '" + input.name +
                                  "' already exists with a different input");
      }
      result.created = false;
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(std::optional<db::Row> seq,
                     tx.QueryOne("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_loops"));
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO review_loops(name, seq, image, choices, model_label, "
                "model_confidence, task_count, team, availability_s, time_limit_s, input_json, "
                "status, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {input.name, seq->Int(0), input.image, json(input.choices).dump(),
                 Opt(input.model_answer.name), input.model_answer.confidence,
                 static_cast<int64_t>(input.task_count), input.team, input.availability_seconds,
                 input.task_time_limit_seconds, content.dump(),
                 std::string(LoopStatusName(LoopStatus::kInProgress)), now,
                 now + input.availability_seconds * 1000})
            .status());
    for (int slot = 1; slot <= input.task_count; ++slot) {
      RETURN_IF_ERROR(tx.Exec("INSERT INTO review_tasks(id, loop, slot, state) VALUES (?, ?, ?, ?)",
                              {input.name + "." + std::to_string(slot), input.name,
                               static_cast<int64_t>(slot), std::string(kTaskOpen)})
                          .status());
    }
    result.created = true;
    return Status::Ok();
  }));
  Caller app{"loupe", true, {}};
  ASSIGN_OR_RETURN(result.loop, GetLoop(input.name, app));
  return result;
}

Result<LoopInfo> ReviewService::GetLoop(std::string_view name, const Caller& caller) {
  LoopInfo out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, caller));
    out = std::move(loop.info);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<LoopInfo>> ReviewService::ListLoops(const Caller& caller,
                                                       std::optional<LoopStatus> status,
                                                       int limit) {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be in [1, 1000]");
  std::vector<LoopInfo> out;
  if (!caller.all_teams && caller.teams.empty()) return out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    db::Params params;
    std::string sql = "SELECT name FROM review_loops l WHERE " + TeamFilter(caller, params);
    if (status) {
      sql += " AND l.status = ?";
      params.emplace_back(std::string(LoopStatusName(*status)));
    }
    sql += " ORDER BY l.seq DESC LIMIT ?";
    params.emplace_back(static_cast<int64_t>(limit));
    ASSIGN_OR_RETURN(db::Rows names, tx.Query(sql, params));
    for (const db::Row& r : names) {
      ASSIGN_OR_RETURN(std::optional<LoopRow> loop, LoadLoop(tx, r.Text(0)));
      if (loop) out.push_back(std::move(loop->info));
    }
    return Status::Ok();
  }));
  return out;
}

Result<LoopInfo> ReviewService::StopLoop(std::string_view name) {
  Caller app{"loupe", true, {}};
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, app));
    if (loop.info.status == LoopStatus::kStopped) return Status::Ok();
    if (loop.completing || (loop.info.status != LoopStatus::kInProgress &&
                            loop.info.status != LoopStatus::kEscalated)) {
      return FailedPreconditionError(
          "human loop '" + std::string(name) + "' is " +
          std::string(loop.completing ? "completing" : LoopStatusName(loop.info.status)) +
          " and cannot be stopped");
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE review_loops SET status = 'Stopped' WHERE name = ?", {std::string(name)})
            .status());
    return tx
        .Exec("UPDATE review_tasks SET state = ? WHERE loop = ? AND state <> ?",
              {std::string(kTaskWithdrawn), std::string(name), std::string(kTaskDone)})
        .status();
  }));
  return GetLoop(name, app);
}

Result<LoopInfo> ReviewService::ResolveLoop(std::string_view name,
                                            const std::optional<std::string>& label,
                                            std::string_view operator_name) {
  if (label) RETURN_IF_ERROR(ValidateLabel(*label));
  Caller app{"loupe", true, {}};
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(ExpireDue(tx, now));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, app));
    if (loop.completing || loop.info.status != LoopStatus::kEscalated) {
      return FailedPreconditionError(
          "only an Escalated loop can be resolved; '" + std::string(name) + "' is " +
          std::string(loop.completing ? "completing" : LoopStatusName(loop.info.status)));
    }
    return tx
        .Exec(
            "UPDATE review_loops SET label = ?, decided_by = ?, completed_ms = ?, completing = 1 "
            "WHERE name = ?",
            {Opt(label), std::string(operator_name), now, std::string(name)})
        .status();
  }));
  FinishOrLeaveToSweep(std::string(name));
  return GetLoop(name, app);
}

Result<std::optional<TaskInfo>> ReviewService::ClaimNext(const Caller& caller) {
  if (caller.worker.empty()) return InvalidArgumentError("a reviewer needs a name");
  std::optional<TaskInfo> out;
  if (!caller.all_teams && caller.teams.empty()) return out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(ExpireDue(tx, now));
    db::Params params;
    std::string sql =
        "SELECT t.id, l.name, l.time_limit_s" + ClaimableSql(caller, now, params) +
        " ORDER BY l.model_confidence ASC, l.created_ms ASC, l.seq ASC, t.slot ASC LIMIT 1";
    ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(sql, params));
    if (!row) return Status::Ok();
    const std::string task_id = row->Text(0);
    const std::string loop_name = row->Text(1);
    int64_t lease_until = now + row->Int(2) * 1000;
    RETURN_IF_ERROR(tx.Exec("UPDATE review_tasks SET state = ?, worker = ?, accepted_ms = ?, "
                            "lease_until_ms = ? WHERE id = ?",
                            {std::string(kTaskClaimed), caller.worker, now, lease_until, task_id})
                        .status());
    RETURN_IF_ERROR(tx.Exec("INSERT INTO review_claims(loop, worker, claimed_ms) VALUES (?, ?, ?)",
                            {loop_name, caller.worker, now})
                        .status());
    ASSIGN_OR_RETURN(std::optional<LoopRow> loop, LoadLoop(tx, loop_name));
    TaskInfo task;
    task.task_id = task_id;
    task.loop_name = loop_name;
    task.image = loop->info.input.image;
    task.choices = loop->info.input.choices;
    task.model_answer = loop->info.input.model_answer;
    task.expires = FromUnixMillis(lease_until);
    out = std::move(task);
    return Status::Ok();
  }));
  return out;
}

Result<LoopInfo> ReviewService::Answer(std::string_view task_id, const Caller& caller,
                                       const std::optional<std::string>& label, bool new_label) {
  bool completing = false;
  std::string loop_name;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(ExpireDue(tx, now));
    ASSIGN_OR_RETURN(std::optional<db::Row> task,
                     tx.QueryOne("SELECT loop, state, worker, lease_until_ms FROM review_tasks "
                                 "WHERE id = ?",
                                 {std::string(task_id)}));
    if (!task) return NotFoundError("no task '" + std::string(task_id) + "'");
    loop_name = task->Text(0);
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, loop_name, caller));
    if (loop.info.status == LoopStatus::kStopped) {
      return FailedPreconditionError("human loop '" + loop_name + "' was stopped");
    }
    const bool mine = task->OptText(2) == caller.worker;
    if (!mine || task->Text(1) != kTaskClaimed) {
      if (mine && task->Text(1) == kTaskDone) {
        return FailedPreconditionError("task '" + std::string(task_id) + "' is already answered");
      }
      if (mine && loop.info.status == LoopStatus::kExpired) {
        return DeadlineExceededError("human loop '" + loop_name + "' has expired");
      }
      return FailedPreconditionError("task '" + std::string(task_id) + "' is not held by you");
    }
    if (loop.info.status == LoopStatus::kExpired) {
      return DeadlineExceededError("human loop '" + loop_name + "' has expired");
    }
    if (task->Int(3) <= now) {
      return DeadlineExceededError("the lease on task '" + std::string(task_id) +
                                   "' has expired; claim a new task");
    }
    if (label) {
      const auto& choices = loop.info.input.choices;
      if (std::find(choices.begin(), choices.end(), *label) == choices.end()) {
        if (!new_label) {
          return InvalidArgumentError("'" + *label +
                                      "' is not one of the choices (set NewLabel to propose it)");
        }
        ASSIGN_OR_RETURN(bool allowed, AllowNewLabels(tx));
        if (!allowed) {
          return InvalidArgumentError("new labels are not allowed (review setting AllowNewLabels)");
        }
        RETURN_IF_ERROR(ValidateLabel(*label));
      } else {
        new_label = false;
      }
    } else {
      new_label = false;
    }
    RETURN_IF_ERROR(tx.Exec("UPDATE review_tasks SET state = ?, label = ?, new_label = ?, "
                            "submitted_ms = ? WHERE id = ?",
                            {std::string(kTaskDone), Opt(label), int64_t{new_label ? 1 : 0}, now,
                             std::string(task_id)})
                        .status());
    // Consolidate once every task is answered: a strict majority wins, anything else goes to
    // an operator.
    ASSIGN_OR_RETURN(db::Rows done,
                     tx.Query("SELECT label FROM review_tasks WHERE loop = ? AND state = ?",
                              {loop_name, std::string(kTaskDone)}));
    if (static_cast<int>(done.size()) < loop.info.input.task_count) return Status::Ok();
    std::map<std::optional<std::string>, int> votes;
    for (const db::Row& r : done) ++votes[r.OptText(0)];
    for (const auto& [candidate, count] : votes) {
      if (2 * count > loop.info.input.task_count) {
        completing = true;
        return tx
            .Exec(
                "UPDATE review_loops SET label = ?, decided_by = ?, completed_ms = ?, "
                "completing = 1 WHERE name = ?",
                {Opt(candidate), std::string(kMajority), now, loop_name})
            .status();
      }
    }
    return tx.Exec("UPDATE review_loops SET status = 'Escalated' WHERE name = ?", {loop_name})
        .status();
  }));
  if (completing) FinishOrLeaveToSweep(loop_name);
  Caller app{"loupe", true, {}};
  return GetLoop(loop_name, app);
}

Status ReviewService::Release(std::string_view task_id, const Caller& caller) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(std::optional<db::Row> task,
                     tx.QueryOne("SELECT loop, state, worker, lease_until_ms FROM review_tasks "
                                 "WHERE id = ?",
                                 {std::string(task_id)}));
    if (!task) return NotFoundError("no task '" + std::string(task_id) + "'");
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, task->Text(0), caller));
    if (task->OptText(2) != caller.worker || task->Text(1) != kTaskClaimed) {
      return FailedPreconditionError("task '" + std::string(task_id) + "' is not held by you");
    }
    if (task->Int(3) <= now) {
      return DeadlineExceededError("the lease on task '" + std::string(task_id) +
                                   "' has already expired");
    }
    return tx
        .Exec(
            "UPDATE review_tasks SET state = ?, worker = NULL, accepted_ms = NULL, "
            "lease_until_ms = NULL WHERE id = ?",
            {std::string(kTaskOpen), std::string(task_id)})
        .status();
  });
}

Result<TaskStats> ReviewService::Stats(const Caller& caller) {
  TaskStats stats;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    if (caller.all_teams || !caller.teams.empty()) {
      db::Params params;
      std::string sql = "SELECT COUNT(DISTINCT l.name)" + ClaimableSql(caller, now, params);
      ASSIGN_OR_RETURN(std::optional<db::Row> queue, tx.QueryOne(sql, params));
      stats.queue_length = queue->Int(0);
    }
    ASSIGN_OR_RETURN(
        std::optional<db::Row> done,
        tx.QueryOne("SELECT COUNT(*), COALESCE(SUM(CASE WHEN submitted_ms >= ? THEN 1 ELSE 0 "
                    "END), 0) FROM review_tasks WHERE worker = ? AND state = ?",
                    {StartOfUtcDayMs(now), caller.worker, std::string(kTaskDone)}));
    stats.done_total = done->Int(0);
    stats.done_today = done->Int(1);
    return Status::Ok();
  }));
  return stats;
}

Result<std::string> ReviewService::LoopImage(std::string_view name, const Caller& caller) {
  ASSIGN_OR_RETURN(LoopInfo loop, GetLoop(name, caller));
  return store_.Get(loop.input.image);
}

Result<std::string> ReviewService::ImageByKey(std::string_view key, const Caller& caller) {
  bool visible = false;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(
        db::Rows teams,
        tx.Query("SELECT DISTINCT team FROM review_loops WHERE image = ?", {std::string(key)}));
    for (const db::Row& r : teams) visible = visible || caller.MaySee(r.Text(0));
    return Status::Ok();
  }));
  if (!visible) return NotFoundError("no image '" + std::string(key) + "' of a loop you review");
  return store_.Get(key);
}

Result<FilingResult> ReviewService::FileAnswer(std::string_view loop_name) {
  LoopInfo loop;
  std::optional<FilingResult> earlier;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<LoopRow> row, LoadLoop(tx, loop_name));
    if (!row) return NotFoundError("no human loop '" + std::string(loop_name) + "'");
    loop = std::move(row->info);
    ASSIGN_OR_RETURN(std::optional<db::Row> filing,
                     tx.QueryOne("SELECT loop, object_key, label, workers, filed_ms FROM "
                                 "review_filings WHERE loop = ?",
                                 {std::string(loop_name)}));
    if (filing) {
      ASSIGN_OR_RETURN(FilingResult f, FilingFromRow(*filing));
      earlier = std::move(f);
    }
    return Status::Ok();
  }));
  if (earlier) return std::move(*earlier);
  if (loop.status != LoopStatus::kCompleted) {
    return FailedPreconditionError("human loop '" + std::string(loop_name) + "' is " +
                                   std::string(LoopStatusName(loop.status)) + ", not Completed");
  }
  const std::string folder = loop.label ? *loop.label : std::string(kNoneFolder);
  const std::string key = std::string(kLabeledPrefix) + folder + "/" + loop.input.name + "-" +
                          Basename(loop.input.image);
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
                     tx.Exec("INSERT INTO review_filings(loop, object_key, label, workers, "
                             "filed_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT(loop) DO NOTHING",
                             {loop.input.name, key, Opt(loop.label), workers.dump(),
                              ToUnixMillis(clock_.Now())}));
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     tx.QueryOne("SELECT loop, object_key, label, workers, filed_ms FROM "
                                 "review_filings WHERE loop = ?",
                                 {loop.input.name}));
    ASSIGN_OR_RETURN(result, FilingFromRow(*row));
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
                     tx.Query("SELECT loop, object_key, label, workers, filed_ms FROM "
                              "review_filings ORDER BY filed_ms DESC, loop DESC LIMIT ?",
                              {static_cast<int64_t>(limit)}));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(FilingResult f, FilingFromRow(r));
      out.push_back(std::move(f));
    }
    return Status::Ok();
  }));
  return out;
}

Result<ReviewSettings> ReviewService::Settings() {
  ReviewSettings settings;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(settings.allow_new_labels, AllowNewLabels(tx));
    return Status::Ok();
  }));
  return settings;
}

Status ReviewService::SetSettings(const ReviewSettings& settings) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    return tx
        .Exec(
            "INSERT INTO review_settings(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            {std::string(kAllowNewLabels),
             std::string(settings.allow_new_labels ? "true" : "false")})
        .status();
  });
}

Status ReviewService::Sweep() {
  RETURN_IF_ERROR(
      db_.Write([&](db::Transaction& tx) { return ExpireDue(tx, ToUnixMillis(clock_.Now())); }));
  return FinishCompletions();
}

Status ReviewService::FinishCompletions() {
  std::vector<std::string> names;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT name FROM review_loops WHERE completing = 1 ORDER BY seq"));
    for (const db::Row& r : rows) names.push_back(r.Text(0));
    return Status::Ok();
  }));
  for (const std::string& name : names) RETURN_IF_ERROR(FinishCompletion(name));
  return Status::Ok();
}

void ReviewService::FinishOrLeaveToSweep(const std::string& name) {
  if (Status s = FinishCompletion(name); !s.ok()) {
    spdlog::warn("review: completing human loop '{}' failed, Sweep retries it: {}", name,
                 s.ToString());
  }
}

Status ReviewService::FinishCompletion(const std::string& name) {
  std::optional<LoopRow> loop;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(loop, LoadLoop(tx, name));
    return Status::Ok();
  }));
  if (!loop || !loop->completing) return Status::Ok();
  // Deterministic content: writing it again after a crash stores the same object (and the
  // store makes no second ObjectCreated for identical content).
  const std::string key = "human_loops/" + name + "/output.json";
  RETURN_IF_ERROR(store_.Put(key, OutputJson(loop->info)).status());
  if (options_.after_output_written) RETURN_IF_ERROR(options_.after_output_written());
  return db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t changed,
                     tx.Exec("UPDATE review_loops SET status = 'Completed', completing = 0 "
                             "WHERE name = ? AND completing = 1",
                             {name}));
    if (changed != 1) return Status::Ok();  // another thread finished it
    return events_
        .Append(tx, events::EventKind::kHumanLoopCompleted,
                {{"loop", name}, {"label", OptJson(loop->info.label)}})
        .status();
  });
}

}  // namespace loupe::review
