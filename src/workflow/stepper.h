#pragma once
// Stepper: what every state type's step shares (internal to the interpreter, step*.cc). It
// holds the execution's next state and the history events one step appends, and knows how to
// enter and exit a state and end the execution. Each state type's own behaviour is a pair of
// functions below, in step_<type>.cc; step.cc dispatches to them. One Stepper per step; not
// thread-safe.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "workflow/definition.h"
#include "workflow/step.h"

namespace loupe::workflow {

class Stepper {
 public:
  // `clock` and `handlers` are null for Begin (no state runs then, only StartAt is entered).
  Stepper(const ExecutionState& st, const Definition& def, int64_t now_ms,
          const nlohmann::json& params, const Clock* clock = nullptr,
          const HandlerLookup* handlers = nullptr);

  StepResult Take() { return std::move(result_); }
  ExecutionState& st() { return result_.next; }
  [[nodiscard]] int64_t now_ms() const { return now_ms_; }
  // REQUIRES: constructed with them (a state is being run).
  const Clock& clock() const { return *clock_; }
  const HandlerLookup& handlers() const { return *handlers_; }

  void Event(HistoryEventType type, const std::string& state, nlohmann::json details);
  // The $$ context object of the current position.
  nlohmann::json Context() const;

  void FailExecution(const std::string& error, const std::string& cause);
  // States.Runtime, caused by `status` in `state`: "state 'X': <message>".
  void FailRuntime(const State& state, const Status& status);
  void SucceedExecution(nlohmann::json output);

  // Enters `name` with `input`: its Entered event, then what its type does on entry.
  void Enter(const std::string& name, nlohmann::json input);
  // Leaves `state` with `output`: its Exited event, then End (next empty) or the next state.
  void Exit(const State& state, nlohmann::json output, const std::string& next);
  // Applies the state's OutputPath to `value` and exits to `next`; States.Runtime if the path
  // fails.
  void ExitThroughOutput(const State& state, const nlohmann::json& value,
                         const nlohmann::json& context, const std::string& next);

  // InputPath applied to the state's input (null path: {}).
  Result<nlohmann::json> EffectiveInput(const State& state, const nlohmann::json& context);
  // OutputPath applied to `value` (null path: {}).
  static Result<nlohmann::json> Output(const State& state, const nlohmann::json& value,
                                       const nlohmann::json& context);
  // `result` placed into the state's input at `result_path` (null path: the input unchanged).
  Result<nlohmann::json> WithResult(const std::optional<JsonPath>& result_path,
                                    nlohmann::json result);
  // 1 + the retries so far in this visit of the current state.
  int Attempt();

 private:
  const Definition& def_;
  int64_t now_ms_;
  const nlohmann::json& params_;
  const Clock* clock_;
  const HandlerLookup* handlers_;
  StepResult result_;
};

// How many times the execution has entered its current state.
int64_t VisitCount(const ExecutionState& st);

// What a state's type does right after it is entered (step.cc dispatches by type).
void OnEnter(Stepper& stepper, const State& state);
void EnterTask(Stepper& stepper, const State& task);  // schedules the first attempt
void EnterWait(Stepper& stepper, const State& wait);  // sets the timer

// Runs a due state once, given its effective input (InputPath applied) and the context.
void StepTask(Stepper& stepper, const State& task, const nlohmann::json& input,
              const nlohmann::json& context);
void StepChoice(Stepper& stepper, const State& choice, const nlohmann::json& input,
                const nlohmann::json& context);
void StepWait(Stepper& stepper, const State& wait, const nlohmann::json& input,
              const nlohmann::json& context);
void StepPass(Stepper& stepper, const State& pass, const nlohmann::json& input,
              const nlohmann::json& context);
void StepSucceed(Stepper& stepper, const State& succeed, const nlohmann::json& input,
                 const nlohmann::json& context);
void StepFail(Stepper& stepper, const State& fail, const nlohmann::json& input,
              const nlohmann::json& context);

}  // namespace loupe::workflow
