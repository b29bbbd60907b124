// The terminal states: Succeed ends the execution with its (OutputPath-filtered) input, Fail
// ends it with its Error and Cause.
#include <utility>

#include "workflow/stepper.h"

namespace loupe::workflow {

void StepSucceed(Stepper& stepper, const State& succeed, const nlohmann::json& input,
                 const nlohmann::json& context) {
  auto out = Stepper::Output(succeed, input, context);
  if (!out.ok()) return stepper.FailRuntime(succeed, out.status());
  stepper.Event(HistoryEventType::kSucceedStateExited, succeed.name,
                {{"name", succeed.name}, {"output", *out}});
  stepper.SucceedExecution(std::move(out).value());
}

void StepFail(Stepper& stepper, const State& fail, const nlohmann::json& /*input*/,
              const nlohmann::json& /*context*/) {
  stepper.FailExecution(fail.error, fail.cause);
}

}  // namespace loupe::workflow
