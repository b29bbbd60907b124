#pragma once
// The review_* tables (internal to loupe_review, not for other modules): their schema, the
// string table of a task's state, the mapping of loop and task rows to values, and the few
// statements on those rows that several parts of ReviewService share. Every function runs
// inside the caller's transaction; persisted states go through kLoopStatusNames and
// kTaskStateNames, bound as parameters, never written into the SQL. Stateless; thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_table.h"
#include "core/result.h"
#include "db/database.h"
#include "review/loop_types.h"

namespace loupe::review {

// The review module's migrations (tables review_loops, review_tasks, review_claims,
// review_filings and review_settings).
const std::vector<db::Migration>& ReviewMigrations();

// A task (one reviewer's slot of a loop) is Open until claimed, Claimed while leased (it is
// claimable again once the lease ran out), Done when answered, Withdrawn when its loop stops.
enum class TaskState { kOpen, kClaimed, kDone, kWithdrawn };

// The one string table of TaskState (review_tasks.state).
inline constexpr EnumTable<TaskState, 4> kTaskStateNames{{{{TaskState::kOpen, "Open"},
                                                           {TaskState::kClaimed, "Claimed"},
                                                           {TaskState::kDone, "Done"},
                                                           {TaskState::kWithdrawn, "Withdrawn"}}}};

// A persisted state as a statement parameter.
inline db::Value StateParam(LoopStatus status) {
  return std::string(kLoopStatusNames.Name(status));
}
inline db::Value StateParam(TaskState state) { return std::string(kTaskStateNames.Name(state)); }
// A nullable text column's parameter.
db::Value TextOrNull(const std::optional<std::string>& s);
nlohmann::json JsonOrNull(const std::optional<std::string>& s);

// The loop's input as stored (review_loops.input_json), compared for idempotency and written
// as output.json's inputContent.
nlohmann::json InputContent(const LoopInput& in);

// The app itself: sees every team.
inline Caller AppCaller() { return Caller{"loupe", true, {}}; }

// A loop with its submitted answers; `completing` while its decided completion is unfinished.
struct LoopRow {
  LoopInfo info;
  bool completing = false;
};

Result<std::optional<LoopRow>> LoadLoop(db::Transaction& tx, std::string_view name);
// The loop if it exists and the caller may see its team; NotFound otherwise (a reviewer does
// not learn whether another team's loop exists).
Result<LoopRow> LoadVisibleLoop(db::Transaction& tx, std::string_view name, const Caller& caller);

// "l.team IN (?, ?)" for the caller's teams (l: review_loops), or "1 = 1" for callers who see
// all teams; appends the teams to `params`.
std::string TeamFilter(const Caller& caller, db::Params& params);

// Marks loops past their availability lifetime Expired. Completions in progress never expire.
Status ExpireDue(db::Transaction& tx, int64_t now_ms);
Status SetLoopStatus(db::Transaction& tx, std::string_view name, LoopStatus status);
// Records the decision on a loop (by majority or by an operator) and marks its completion
// due; FinishCompletion then writes output.json and marks it Completed.
Status MarkDecided(db::Transaction& tx, std::string_view name,
                   const std::optional<std::string>& label, std::string_view decided_by,
                   int64_t now_ms);

struct TaskRow {
  std::string loop;
  TaskState state = TaskState::kOpen;
  std::optional<std::string> worker;      // the claimant, while Claimed and once Done
  std::optional<int64_t> lease_until_ms;  // while Claimed
};

// NotFound if there is no such task.
Result<TaskRow> LoadTask(db::Transaction& tx, std::string_view task_id);

}  // namespace loupe::review
