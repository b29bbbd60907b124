#include "workflow/execution.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace loupe::workflow {
namespace {

// The history events of entering and leaving a state of each type.
struct StateEvents {
  StateType type;
  HistoryEventType entered;
  HistoryEventType exited;
};
constexpr std::array<StateEvents, 6> kStateEvents = {{
    {StateType::kTask, HistoryEventType::kTaskStateEntered, HistoryEventType::kTaskStateExited},
    {StateType::kChoice, HistoryEventType::kChoiceStateEntered,
     HistoryEventType::kChoiceStateExited},
    {StateType::kWait, HistoryEventType::kWaitStateEntered, HistoryEventType::kWaitStateExited},
    {StateType::kPass, HistoryEventType::kPassStateEntered, HistoryEventType::kPassStateExited},
    {StateType::kSucceed, HistoryEventType::kSucceedStateEntered,
     HistoryEventType::kSucceedStateExited},
    // A Fail state never exits (it ends the execution); Pass's event stands in, as before.
    {StateType::kFail, HistoryEventType::kFailStateEntered, HistoryEventType::kPassStateExited},
}};

const StateEvents& EventsOf(StateType type) {
  for (const StateEvents& e : kStateEvents) {
    if (e.type == type) return e;
  }
  return kStateEvents[3];  // Pass; unreachable: every StateType has a row
}

}  // namespace

Result<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  if (std::optional<ExecutionStatus> s = kExecutionStatusNames.Find(name)) return *s;
  return InvalidArgumentError("unknown execution status '" + std::string(name) + "' (" +
                              kExecutionStatusNames.Joined("|") + ")");
}

Result<HistoryEventType> ParseHistoryEventType(std::string_view name) {
  if (std::optional<HistoryEventType> t = kHistoryEventTypeNames.Find(name)) return *t;
  return DataLossError("unknown history event type '" + std::string(name) + "'");
}

HistoryEventType StateEnteredType(StateType type) { return EventsOf(type).entered; }

HistoryEventType StateExitedType(StateType type) { return EventsOf(type).exited; }

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
