#include "workflow/step.h"

#include <utility>

#include "workflow/stepper.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

// Runs the current state once: its effective input, then its type's step.
void RunState(Stepper& stepper, const Definition& def) {
  const State* state = def.Find(stepper.st().state);
  if (state == nullptr) {
    return stepper.FailExecution(std::string(kErrorRuntime),
                                 "the definition has no state '" + stepper.st().state + "'");
  }
  json context = stepper.Context();
  auto input = stepper.EffectiveInput(*state, context);
  if (!input.ok()) return stepper.FailRuntime(*state, input.status());
  switch (state->type) {
    case StateType::kTask:
      return StepTask(stepper, *state, *input, context);
    case StateType::kChoice:
      return StepChoice(stepper, *state, *input, context);
    case StateType::kWait:
      return StepWait(stepper, *state, *input, context);
    case StateType::kPass:
      return StepPass(stepper, *state, *input, context);
    case StateType::kSucceed:
      return StepSucceed(stepper, *state, *input, context);
    case StateType::kFail:
      return StepFail(stepper, *state, *input, context);
  }
}

}  // namespace

void OnEnter(Stepper& stepper, const State& state) {
  switch (state.type) {
    case StateType::kTask:
      return EnterTask(stepper, state);
    case StateType::kWait:
      return EnterWait(stepper, state);
    case StateType::kChoice:
    case StateType::kPass:
    case StateType::kSucceed:
    case StateType::kFail:
      return;  // runnable at once
  }
}

json BuildContext(const ExecutionState& st, const json& params) {
  json ctx = {{"Execution",
               {{"Id", st.id},
                {"Name", st.name},
                {"StartTime", FormatRfc3339(FromUnixMillis(st.start_ms))},
                {"Input", st.input}}},
              {"StateMachine", {{"Name", st.state_machine}, {"Revision", st.revision}}},
              {"State",
               {{"Name", st.state},
                {"EnteredTime", FormatRfc3339(FromUnixMillis(st.entered_ms))},
                {"RetryCount", 0}}}};
  int retries = 0;
  for (const json& n : st.retries) retries += n.get<int>();
  ctx["State"]["RetryCount"] = retries;
  if (params.is_object()) ctx["Params"] = params;
  return ctx;
}

std::string IdempotencyKey(const ExecutionState& st) {
  return st.id + "/" + st.state + "/" + std::to_string(VisitCount(st));
}

StepResult Begin(ExecutionState st, const Definition& def, TimePoint now, const json& params) {
  int64_t now_ms = ToUnixMillis(now);
  st.status = ExecutionStatus::kRunning;
  st.start_ms = now_ms;
  Stepper stepper(st, def, now_ms, params);
  stepper.Event(
      HistoryEventType::kExecutionStarted, "",
      {{"input", st.input}, {"state_machine", st.state_machine}, {"revision", st.revision}});
  stepper.Enter(def.start_at, st.input);
  return stepper.Take();
}

StepResult Step(const ExecutionState& st, const Definition& def, const Clock& clock,
                const HandlerLookup& handlers, const json& params) {
  Stepper stepper(st, def, ToUnixMillis(clock.Now()), params, &clock, &handlers);
  if (st.status == ExecutionStatus::kRunning) RunState(stepper, def);
  return stepper.Take();
}

}  // namespace loupe::workflow
