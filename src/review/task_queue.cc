// ReviewService's task queue: reviewers claim leased tasks (least confident model answer
// first, then oldest), answer or release them, and see their counts. An answer that completes
// the loop's set is consolidated (consolidation.h) in the transaction that records it.
#include <algorithm>
#include <utility>

#include "review/consolidation.h"
#include "review/review_service.h"
#include "review/review_settings.h"
#include "review/review_tables.h"

namespace loupe::review {
namespace {

// The claimable tasks of the caller (FROM ... WHERE ...): of a loop InProgress, not completing
// and not expired; Open, or Claimed with a lease that ran out; of a loop the caller never
// claimed, of one of the caller's teams.
std::string ClaimableSql(const Caller& caller, int64_t now_ms, db::Params& params) {
  params.push_back(StateParam(LoopStatus::kInProgress));
  params.emplace_back(now_ms);
  params.push_back(StateParam(TaskState::kOpen));
  params.push_back(StateParam(TaskState::kClaimed));
  params.emplace_back(now_ms);
  params.emplace_back(caller.worker);
  std::string sql =
      " FROM review_tasks t JOIN review_loops l ON l.name = t.loop"
      " WHERE l.status = ? AND l.completing = 0 AND l.expires_ms > ?"
      " AND (t.state = ? OR (t.state = ? AND t.lease_until_ms <= ?))"
      " AND NOT EXISTS (SELECT 1 FROM review_claims c WHERE c.loop = l.name AND c.worker = ?)"
      " AND ";
  return sql + TeamFilter(caller, params);
}

int64_t StartOfUtcDayMs(int64_t now_ms) {
  constexpr int64_t kDayMs = 24LL * 3600 * 1000;
  return now_ms - (((now_ms % kDayMs) + kDayMs) % kDayMs);
}

// Ok if `caller` holds `task` of `loop` with a live lease; the reason it may not answer
// otherwise.
Status CheckHeld(std::string_view task_id, const TaskRow& task, const LoopRow& loop,
                 const Caller& caller, int64_t now_ms) {
  const std::string& loop_name = loop.info.input.name;
  if (loop.info.status == LoopStatus::kStopped) {
    return FailedPreconditionError("human loop '" + loop_name + "' was stopped");
  }
  const bool mine = task.worker == caller.worker;
  if (!mine || task.state != TaskState::kClaimed) {
    if (mine && task.state == TaskState::kDone) {
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
  if (task.lease_until_ms.value_or(0) <= now_ms) {
    return DeadlineExceededError("the lease on task '" + std::string(task_id) +
                                 "' has expired; claim a new task");
  }
  return Status::Ok();
}

// Whether the answer `label` proposes a new label: a label that is not one of the loop's
// choices needs `new_label` and the AllowNewLabels setting, and must be a valid label.
Result<bool> CheckLabel(db::Transaction& tx, const LoopInfo& loop,
                        const std::optional<std::string>& label, bool new_label) {
  if (!label) return false;
  const auto& choices = loop.input.choices;
  if (std::find(choices.begin(), choices.end(), *label) != choices.end()) return false;
  if (!new_label) {
    return InvalidArgumentError("'" + *label +
                                "' is not one of the choices (set NewLabel to propose it)");
  }
  ASSIGN_OR_RETURN(bool allowed, AllowNewLabels(tx));
  if (!allowed) {
    return InvalidArgumentError("new labels are not allowed (review setting AllowNewLabels)");
  }
  RETURN_IF_ERROR(ValidateLabel(*label));
  return true;
}

// Consolidates the loop's answers: records a majority decision (true: its completion is due)
// or escalates a loop whose answers are all in without one.
Result<bool> DecideLoop(db::Transaction& tx, const LoopInfo& loop, int64_t now_ms) {
  const std::string& name = loop.input.name;
  ASSIGN_OR_RETURN(db::Rows done,
                   tx.Query("SELECT label FROM review_tasks WHERE loop = ? AND state = ?",
                            {name, StateParam(TaskState::kDone)}));
  std::vector<std::optional<std::string>> labels;
  labels.reserve(done.size());
  for (const db::Row& r : done) labels.push_back(r.OptText(0));
  const Consolidation decision = Consolidate(labels, {loop.input.task_count});
  if (decision.outcome == ConsolidationOutcome::kDecided) {
    RETURN_IF_ERROR(MarkDecided(tx, name, decision.label, kDecidedByMajority, now_ms));
    return true;
  }
  if (decision.outcome == ConsolidationOutcome::kEscalated) {
    RETURN_IF_ERROR(SetLoopStatus(tx, name, LoopStatus::kEscalated));
  }
  return false;
}

}  // namespace

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
    RETURN_IF_ERROR(
        tx.Exec("UPDATE review_tasks SET state = ?, worker = ?, accepted_ms = ?, "
                "lease_until_ms = ? WHERE id = ?",
                {StateParam(TaskState::kClaimed), caller.worker, now, lease_until, task_id})
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
    ASSIGN_OR_RETURN(TaskRow task, LoadTask(tx, task_id));
    loop_name = task.loop;
    ASSIGN_OR_RETURN(LoopRow loop, LoadVisibleLoop(tx, loop_name, caller));
    RETURN_IF_ERROR(CheckHeld(task_id, task, loop, caller, now));
    ASSIGN_OR_RETURN(bool proposes_new_label, CheckLabel(tx, loop.info, label, new_label));
    RETURN_IF_ERROR(tx.Exec("UPDATE review_tasks SET state = ?, label = ?, new_label = ?, "
                            "submitted_ms = ? WHERE id = ?",
                            {StateParam(TaskState::kDone), TextOrNull(label),
                             int64_t{proposes_new_label ? 1 : 0}, now, std::string(task_id)})
                        .status());
    ASSIGN_OR_RETURN(completing, DecideLoop(tx, loop.info, now));
    return Status::Ok();
  }));
  if (completing) FinishOrLeaveToSweep(loop_name);
  return GetLoop(loop_name, AppCaller());
}

Status ReviewService::Release(std::string_view task_id, const Caller& caller) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(TaskRow task, LoadTask(tx, task_id));
    RETURN_IF_ERROR(LoadVisibleLoop(tx, task.loop, caller).status());
    if (task.worker != caller.worker || task.state != TaskState::kClaimed) {
      return FailedPreconditionError("task '" + std::string(task_id) + "' is not held by you");
    }
    if (task.lease_until_ms.value_or(0) <= now) {
      return DeadlineExceededError("the lease on task '" + std::string(task_id) +
                                   "' has already expired");
    }
    return tx
        .Exec(
            "UPDATE review_tasks SET state = ?, worker = NULL, accepted_ms = NULL, "
            "lease_until_ms = NULL WHERE id = ?",
            {StateParam(TaskState::kOpen), std::string(task_id)})
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
                    {StartOfUtcDayMs(now), caller.worker, StateParam(TaskState::kDone)}));
    stats.done_total = done->Int(0);
    stats.done_today = done->Int(1);
    return Status::Ok();
  }));
  return stats;
}

}  // namespace loupe::review
