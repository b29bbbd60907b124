#include "workflow/execution.h"

#include <array>
#include <utility>

namespace loupe::workflow {
namespace {

constexpr std::array<std::pair<ExecutionStatus, std::string_view>, 4> kStatusNames = {{
    {ExecutionStatus::kRunning, "RUNNING"},
    {ExecutionStatus::kSucceeded, "SUCCEEDED"},
    {ExecutionStatus::kFailed, "FAILED"},
    {ExecutionStatus::kAborted, "ABORTED"},
}};

constexpr std::array<std::pair<HistoryEventType, std::string_view>, 20> kEventNames = {{
    {HistoryEventType::kExecutionStarted, "ExecutionStarted"},
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
    {HistoryEventType::kFailStateEntered, "FailStateEntered"},
}};

}  // namespace

std::string_view ExecutionStatusName(ExecutionStatus status) {
  for (const auto& [s, n] : kStatusNames) {
    if (s == status) return n;
  }
  return "UNKNOWN";
}

Result<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  for (const auto& [s, n] : kStatusNames) {
    if (n == name) return s;
  }
  return InvalidArgumentError("unknown execution status '" + std::string(name) +
                              "' (RUNNING|SUCCEEDED|FAILED|ABORTED)");
}

std::string_view HistoryEventTypeName(HistoryEventType type) {
  for (const auto& [t, n] : kEventNames) {
    if (t == type) return n;
  }
  return "Unknown";
}

Result<HistoryEventType> ParseHistoryEventType(std::string_view name) {
  for (const auto& [t, n] : kEventNames) {
    if (n == name) return t;
  }
  return DataLossError("unknown history event type '" + std::string(name) + "'");
}

HistoryEventType StateEnteredType(StateType type) {
  switch (type) {
    case StateType::kTask:
      return HistoryEventType::kTaskStateEntered;
    case StateType::kChoice:
      return HistoryEventType::kChoiceStateEntered;
    case StateType::kWait:
      return HistoryEventType::kWaitStateEntered;
    case StateType::kPass:
      return HistoryEventType::kPassStateEntered;
    case StateType::kSucceed:
      return HistoryEventType::kSucceedStateEntered;
    case StateType::kFail:
      return HistoryEventType::kFailStateEntered;
  }
  return HistoryEventType::kPassStateEntered;
}

HistoryEventType StateExitedType(StateType type) {
  switch (type) {
    case StateType::kTask:
      return HistoryEventType::kTaskStateExited;
    case StateType::kChoice:
      return HistoryEventType::kChoiceStateExited;
    case StateType::kWait:
      return HistoryEventType::kWaitStateExited;
    case StateType::kSucceed:
      return HistoryEventType::kSucceedStateExited;
    default:
      return HistoryEventType::kPassStateExited;
  }
}

TaskOutcome TaskOutcome::Success(nlohmann::json output) {
  TaskOutcome o;
  o.output = std::move(output);
  return o;
}

TaskOutcome TaskOutcome::Failure(std::string error, std::string cause, bool transient) {
  TaskOutcome o;
  o.ok = false;
  o.error = std::move(error);
  o.cause = std::move(cause);
  o.transient = transient;
  return o;
}

TaskOutcome TaskOutcome::FromStatus(const Status& status) {
  StatusCode c = status.code();
  return Failure("Loupe." + std::string(StatusCodeName(c)), status.message(),
                 c == StatusCode::kUnavailable || c == StatusCode::kAborted ||
                     c == StatusCode::kResourceExhausted);
}

}  // namespace loupe::workflow
