#pragma once
// The interpreter: pure functions that move one execution through one state. The engine
// loads an ExecutionState, calls Begin or Step, and commits the result (new state + history
// events) in one transaction. Nothing here touches the database; the only side effect is the
// task handler that Step calls for a Task state. Thread-safe (no shared state).

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "workflow/definition.h"
#include "workflow/execution.h"

namespace loupe::workflow {

// The durable fields of one execution, as stored in its row.
struct ExecutionState {
  std::string id;
  std::string state_machine;
  int64_t revision = 0;
  std::string name;
  ExecutionStatus status = ExecutionStatus::kRunning;
  nlohmann::json input;
  int64_t start_ms = 0;
  // Position (RUNNING only).
  std::string state;
  nlohmann::json state_input;
  int64_t entered_ms = 0;
  nlohmann::json visits = nlohmann::json::object();  // state name -> times entered
  nlohmann::json retries = nlohmann::json::array();  // per retrier (+1 for transient), attempts
  std::optional<int64_t> due_ms;                     // runnable at; nullopt once finished
  std::optional<int64_t> task_deadline_ms;           // current Task attempt's deadline
  // Outcome.
  nlohmann::json output;
  std::string error;
  std::string cause;
  std::optional<int64_t> stop_ms;
};

struct PendingEvent {
  HistoryEventType type;
  std::string state;
  nlohmann::json details;
  int64_t time_ms = 0;
};

struct StepResult {
  ExecutionState next;
  std::vector<PendingEvent> events;
};

// Looks up a task handler by resource name; nullptr if none.
using HandlerLookup = std::function<const TaskHandler*(std::string_view resource)>;

// The context object ($$) of a step: Execution, State, StateMachine and, when `params` is an
// object, Params (current parameter values by name).
nlohmann::json BuildContext(const ExecutionState& st, const nlohmann::json& params);

// A new execution: ExecutionStarted and entry into StartAt.
StepResult Begin(ExecutionState st, const Definition& def, TimePoint now,
                 const nlohmann::json& params);

// Runs the current state once (REQUIRES: RUNNING and due). For a Task this calls its handler
// and reads `clock` afterwards to detect a missed TimeoutSeconds.
StepResult Step(const ExecutionState& st, const Definition& def, const Clock& clock,
                const HandlerLookup& handlers, const nlohmann::json& params);

// The idempotency key of the current Task attempt.
std::string IdempotencyKey(const ExecutionState& st);

}  // namespace loupe::workflow
