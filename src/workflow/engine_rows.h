#pragma once
// The engine's tables (internal to engine*.cc): their migrations, the mapping between
// wf_executions rows and ExecutionState / ExecutionInfo, the wf_history rows a step appends,
// and the random names stored in them. Pure functions over a caller's transaction;
// thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/result.h"
#include "db/database.h"
#include "workflow/execution.h"
#include "workflow/step.h"

namespace loupe::workflow {

// The migrations of module "workflow": wf_definitions, wf_executions, wf_history.
const std::vector<db::Migration>& EngineMigrations();

// "status = 'RUNNING'", spelled from kExecutionStatusNames. Spliced into a query as a
// literal, not bound as a parameter: SQLite uses the partial index wf_runnable only for a
// query whose WHERE repeats the index's term with the same constant (with `status = ?` it
// scans the whole table).
std::string WhereRunning();

// The columns StateFromRow reads, in its order.
inline constexpr const char* kExecutionColumns =
    "id, state_machine, revision, name, status, input, start_ms, state, state_input, entered_ms,"
    " visits, retries, due_ms, task_deadline_ms, output, error, cause, stop_ms, version,"
    " history_count";
// Reads a row of kExecutionColumns; `version` and `history_count` may be null.
Result<ExecutionState> StateFromRow(const db::Row& row, int64_t* version, int64_t* history_count);
ExecutionInfo InfoFrom(const ExecutionState& st);

// Inserts the row of a new execution (version 1) that has `history_count` events.
[[nodiscard]] Status InsertExecution(db::Transaction& tx, const ExecutionState& st,
                                     int64_t history_count);
// Writes a step's new state if the row is still at `version`: sets the lease (owner and
// expiry, or none), version + 1 and `history_count`. Returns the rows changed (0: the row
// moved on meanwhile and the step must be discarded).
Result<int64_t> UpdateExecution(db::Transaction& tx, const ExecutionState& st, int64_t version,
                                int64_t history_count, const std::optional<std::string>& owner,
                                int64_t lease_until);
// Appends `events` as history rows seq = first, first+1, ...
[[nodiscard]] Status InsertHistory(db::Transaction& tx, const std::string& id, int64_t first,
                                   const std::vector<PendingEvent>& events);

// JSON stored as text; a corrupt value reads as null.
nlohmann::json ParseStored(const std::string& text);

// Execution and state-machine names: 1..80 of [A-Za-z0-9_.-].
bool ValidName(std::string_view name);

}  // namespace loupe::workflow
