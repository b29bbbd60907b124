#include "workflow/stepper.h"

#include <utility>

namespace loupe::workflow {

using nlohmann::json;

Stepper::Stepper(const ExecutionState& st, const Definition& def, int64_t now_ms,
                 const json& params, const Clock* clock, const HandlerLookup* handlers)
    : def_(def), now_ms_(now_ms), params_(params), clock_(clock), handlers_(handlers) {
  result_.next = st;
}

void Stepper::Event(HistoryEventType type, const std::string& state, json details) {
  result_.events.push_back({type, state, std::move(details), now_ms_});
}

json Stepper::Context() const { return BuildContext(result_.next, params_); }

void Stepper::FailExecution(const std::string& error, const std::string& cause) {
  ExecutionState& s = st();
  s.status = ExecutionStatus::kFailed;
  s.error = error;
  s.cause = cause;
  s.due_ms.reset();
  s.task_deadline_ms.reset();
  s.stop_ms = now_ms_;
  Event(HistoryEventType::kExecutionFailed, "", {{"error", error}, {"cause", cause}});
}

void Stepper::FailRuntime(const State& state, const Status& status) {
  FailExecution(std::string(kErrorRuntime), "state '" + state.name + "': " + status.message());
}

void Stepper::SucceedExecution(json output) {
  ExecutionState& s = st();
  s.status = ExecutionStatus::kSucceeded;
  s.output = std::move(output);
  s.due_ms.reset();
  s.task_deadline_ms.reset();
  s.stop_ms = now_ms_;
  Event(HistoryEventType::kExecutionSucceeded, "", {{"output", s.output}});
}

void Stepper::Enter(const std::string& name, json input) {
  const State* state = def_.Find(name);
  ExecutionState& s = st();
  s.state = name;
  s.state_input = std::move(input);
  s.entered_ms = now_ms_;
  s.visits[name] = s.visits.value(name, int64_t{0}) + 1;
  s.retries = json::array();
  s.due_ms = now_ms_;
  s.task_deadline_ms.reset();
  Event(StateEnteredType(state->type), name, {{"name", name}, {"input", s.state_input}});
  OnEnter(*this, *state);
}

void Stepper::Exit(const State& state, json output, const std::string& next) {
  Event(StateExitedType(state.type), state.name, {{"name", state.name}, {"output", output}});
  if (next.empty()) {
    SucceedExecution(std::move(output));
  } else {
    Enter(next, std::move(output));
  }
}

void Stepper::ExitThroughOutput(const State& state, const json& value, const json& context,
                                const std::string& next) {
  auto out = Output(state, value, context);
  if (!out.ok()) return FailRuntime(state, out.status());
  Exit(state, std::move(out).value(), next);
}

Result<json> Stepper::EffectiveInput(const State& state, const json& context) {
  if (!state.input_path) return json::object();
  return SelectPath(*state.input_path, st().state_input, context);
}

Result<json> Stepper::Output(const State& state, const json& value, const json& context) {
  if (!state.output_path) return json::object();
  return SelectPath(*state.output_path, value, context);
}

Result<json> Stepper::WithResult(const std::optional<JsonPath>& result_path, json result) {
  if (!result_path) return st().state_input;
  return InsertAtPath(*result_path, st().state_input, std::move(result));
}

int Stepper::Attempt() {
  int attempt = 1;
  for (const json& n : st().retries) attempt += n.get<int>();
  return attempt;
}

int64_t VisitCount(const ExecutionState& st) {
  auto it = st.visits.find(st.state);
  return it == st.visits.end() ? 0 : it->get<int64_t>();
}

}  // namespace loupe::workflow
