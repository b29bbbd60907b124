#pragma once
// The vocabulary of durable executions: statuses, history event types (named as in the
// replaced cloud workflow service), the records the engine returns, and the task handler
// contract. Value types; thread-compatible.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/result.h"
#include "workflow/definition.h"

namespace loupe::workflow {

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kAborted };

// The one string table of ExecutionStatus; the wf_executions.status column goes through it.
inline constexpr EnumTable<ExecutionStatus, 4> kExecutionStatusNames{
    {{{ExecutionStatus::kRunning, "RUNNING"},
      {ExecutionStatus::kSucceeded, "SUCCEEDED"},
      {ExecutionStatus::kFailed, "FAILED"},
      {ExecutionStatus::kAborted, "ABORTED"}}}};

inline std::string_view ExecutionStatusName(ExecutionStatus status) {  // "RUNNING", ...
  return kExecutionStatusNames.Name(status);
}
// Inverse of ExecutionStatusName; InvalidArgument for an unknown name.
Result<ExecutionStatus> ParseExecutionStatus(std::string_view name);

enum class HistoryEventType {
  kExecutionStarted,
  kExecutionSucceeded,
  kExecutionFailed,
  kExecutionAborted,
  kTaskStateEntered,
  kTaskStateExited,
  kTaskScheduled,
  kTaskStarted,
  kTaskSucceeded,
  kTaskFailed,
  kTaskTimedOut,
  kChoiceStateEntered,
  kChoiceStateExited,
  kWaitStateEntered,
  kWaitStateExited,
  kPassStateEntered,
  kPassStateExited,
  kSucceedStateEntered,
  kSucceedStateExited,
  kFailStateEntered,
};

// The one string table of HistoryEventType; the wf_history.type column goes through it.
inline constexpr EnumTable<HistoryEventType, 20> kHistoryEventTypeNames{
    {{{HistoryEventType::kExecutionStarted, "ExecutionStarted"},
      {HistoryEventType::kExecutionSucceeded, "ExecutionSucceeded"},
      {HistoryEventType::kExecutionFailed, "ExecutionFailed"},
      {HistoryEventType::kExecutionAborted, "ExecutionAborted"},
      {HistoryEventType::kTaskStateEntered, "TaskStateEntered"},
      {HistoryEventType::kTaskStateExited, "TaskStateExited"},
      {HistoryEventType::kTaskScheduled, "TaskScheduled"},
      {HistoryEventType::kTaskStarted, "TaskStarted"},
      {HistoryEventType::kTaskSucceeded, "TaskSucceeded"},
      {HistoryEventType::kTaskFailed, "TaskFailed"},
      {HistoryEventType::kTaskTimedOut, "TaskTimedOut"},
      {HistoryEventType::kChoiceStateEntered, "ChoiceStateEntered"},
      {HistoryEventType::kChoiceStateExited, "ChoiceStateExited"},
      {HistoryEventType::kWaitStateEntered, "WaitStateEntered"},
      {HistoryEventType::kWaitStateExited, "WaitStateExited"},
      {HistoryEventType::kPassStateEntered, "PassStateEntered"},
      {HistoryEventType::kPassStateExited, "PassStateExited"},
      {HistoryEventType::kSucceedStateEntered, "SucceedStateEntered"},
      {HistoryEventType::kSucceedStateExited, "SucceedStateExited"},
      {HistoryEventType::kFailStateEntered, "FailStateEntered"}}}};

inline std::string_view HistoryEventTypeName(HistoryEventType type) {
  return kHistoryEventTypeNames.Name(type);
}
// Inverse of HistoryEventTypeName. An unknown name is DataLoss: history rows are written by
// the engine only, so a name it does not know means a corrupt row.
Result<HistoryEventType> ParseHistoryEventType(std::string_view name);
HistoryEventType StateEnteredType(StateType type);
// REQUIRES: type != kFail (a Fail state ends the execution instead of exiting).
HistoryEventType StateExitedType(StateType type);

struct ExecutionInfo {
  std::string id;  // "<state machine>:<name>"
  std::string state_machine;
  int64_t revision = 0;  // of the definition it runs
  std::string name;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string current_state;  // empty once finished
  nlohmann::json input;
  nlohmann::json output;  // null unless succeeded
  std::string error;      // failed/aborted only
  std::string cause;
  TimePoint start_time;
  std::optional<TimePoint> stop_time;
};

struct HistoryEvent {
  int64_t id = 0;  // 1, 2, ... within the execution
  HistoryEventType type = HistoryEventType::kExecutionStarted;
  TimePoint time;
  std::string state;  // the state it concerns; empty for execution-level events
  nlohmann::json details;
};

struct StateMachineInfo {
  std::string name;
  int64_t revision = 0;
  std::string sha256;
  nlohmann::json definition;
  TimePoint created;
};

// What a task handler is told. A handler must make its effects idempotent on
// `idempotency_key`: after a crash the same attempt may run again with the same key.
struct TaskContext {
  std::string idempotency_key;  // "<execution id>/<state>/<visit>"
  std::string execution_id;
  std::string state_name;
  int64_t visit = 1;                  // how many times the execution has entered this state
  int attempt = 1;                    // 1 + retries so far in this visit
  std::optional<TimePoint> deadline;  // TimeoutSeconds; later results count as States.Timeout
};

struct TaskOutcome {  // NOLINT(bugprone-exception-escape): json members' implicit moves
  bool ok = true;
  nlohmann::json output;
  std::string error;  // e.g. "States.TaskFailed", "Loupe.NoModel"
  std::string cause;
  // Transient failures that no Retrier matches are retried by the engine (3 times, 1 s
  // doubling) before Catch sees them.
  bool transient = false;

  static TaskOutcome Success(nlohmann::json output);
  static TaskOutcome Failure(std::string error, std::string cause, bool transient = false);
  // A loupe Status as an outcome: error "Loupe.<Code>", transient for Unavailable, Aborted and
  // ResourceExhausted.
  static TaskOutcome FromStatus(const Status& status);
};

using TaskHandler = std::function<TaskOutcome(const nlohmann::json& input, const TaskContext&)>;

}  // namespace loupe::workflow
