// ReviewService's human loops: creating, looking up and listing loops, stopping them, an
// operator's resolution of an escalated loop, and the images of loops a caller may see.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "review/review_service.h"
#include "review/review_tables.h"

namespace loupe::review {
namespace {

using nlohmann::json;

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

// Inserts a new loop (InProgress) and its TaskCount Open tasks.
Status InsertLoop(db::Transaction& tx, const LoopInput& input, const json& content,
                  int64_t now_ms) {
  ASSIGN_OR_RETURN(std::optional<db::Row> seq,
                   tx.QueryOne("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_loops"));
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO review_loops(name, seq, image, choices, model_label, "
              "model_confidence, task_count, team, availability_s, time_limit_s, input_json, "
              "status, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {input.name, seq->Int(0), input.image, json(input.choices).dump(),
               TextOrNull(input.model_answer.name), input.model_answer.confidence,
               static_cast<int64_t>(input.task_count), input.team, input.availability_seconds,
               input.task_time_limit_seconds, content.dump(), StateParam(LoopStatus::kInProgress),
               now_ms, now_ms + input.availability_seconds * 1000})
          .status());
  for (int slot = 1; slot <= input.task_count; ++slot) {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO review_tasks(id, loop, slot, state) VALUES (?, ?, ?, ?)",
                            {input.name + "." + std::to_string(slot), input.name,
                             static_cast<int64_t>(slot), StateParam(TaskState::kOpen)})
                        .status());
  }
  return Status::Ok();
}

// What a loop that is completing is called in errors: its completion is decided, not done.
std::string StatusWord(const LoopRow& loop) {
  return loop.completing ? "completing" : std::string(LoopStatusName(loop.info.status));
}

}  // namespace

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
    RETURN_IF_ERROR(InsertLoop(tx, input, content, now));
    result.created = true;
    return Status::Ok();
  }));
  ASSIGN_OR_RETURN(result.loop, GetLoop(input.name, AppCaller()));
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
    out.clear();  // a transaction that conflicts runs again
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    db::Params params;
    std::string sql = "SELECT name FROM review_loops l WHERE " + TeamFilter(caller, params);
    if (status) {
      sql += " AND l.status = ?";
      params.push_back(StateParam(*status));
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
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, AppCaller()));
    if (loop.info.status == LoopStatus::kStopped) return Status::Ok();
    if (loop.completing || (loop.info.status != LoopStatus::kInProgress &&
                            loop.info.status != LoopStatus::kEscalated)) {
      return FailedPreconditionError("human loop '" + std::string(name) + "' is " +
                                     StatusWord(loop) + " and cannot be stopped");
    }
    RETURN_IF_ERROR(SetLoopStatus(tx, name, LoopStatus::kStopped));
    return tx
        .Exec("UPDATE review_tasks SET state = ? WHERE loop = ? AND state <> ?",
              {StateParam(TaskState::kWithdrawn), std::string(name), StateParam(TaskState::kDone)})
        .status();
  }));
  return GetLoop(name, AppCaller());
}

Status ReviewService::DeleteLoop(std::string_view name) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(ExpireDue(tx, ToUnixMillis(clock_.Now())));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, AppCaller()));
    if (loop.completing || loop.info.status == LoopStatus::kInProgress ||
        loop.info.status == LoopStatus::kEscalated) {
      return FailedPreconditionError("human loop '" + std::string(name) + "' is " +
                                     StatusWord(loop) + "; stop it before deleting it");
    }
    std::string n(name);
    RETURN_IF_ERROR(tx.Exec("DELETE FROM review_tasks WHERE loop = ?", {n}).status());
    RETURN_IF_ERROR(tx.Exec("DELETE FROM review_claims WHERE loop = ?", {n}).status());
    // The filing record goes too (the filed image stays in training), so a loop started again
    // under this name is filed afresh.
    RETURN_IF_ERROR(tx.Exec("DELETE FROM review_filings WHERE loop = ?", {n}).status());
    return tx.Exec("DELETE FROM review_loops WHERE name = ?", {n}).status();
  });
}

Result<LoopInfo> ReviewService::ResolveLoop(std::string_view name,
                                            const std::optional<std::string>& label,
                                            std::string_view operator_name) {
  if (label) RETURN_IF_ERROR(ValidateLabel(*label));
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(ExpireDue(tx, now));
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, name, AppCaller()));
    if (loop.completing || loop.info.status != LoopStatus::kEscalated) {
      return FailedPreconditionError("only an Escalated loop can be resolved; '" +
                                     std::string(name) + "' is " + StatusWord(loop));
    }
    return MarkDecided(tx, name, label, operator_name, now);
  }));
  FinishOrLeaveToSweep(std::string(name));
  return GetLoop(name, AppCaller());
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

}  // namespace loupe::review
