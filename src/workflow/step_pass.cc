// The Pass state: its Result (or its Parameters applied to the input, or the input itself)
// placed at ResultPath, then OutputPath.
#include <utility>

#include "workflow/stepper.h"

namespace loupe::workflow {

void StepPass(Stepper& stepper, const State& pass, const nlohmann::json& input,
              const nlohmann::json& context) {
  nlohmann::json result = pass.result ? *pass.result : input;
  if (pass.parameters) {
    auto p = ApplyTemplate(*pass.parameters, input, context);
    if (!p.ok()) return stepper.FailRuntime(pass, p.status());
    if (!pass.result) result = std::move(p).value();
  }
  auto with = stepper.WithResult(pass.result_path, std::move(result));
  if (!with.ok()) return stepper.FailRuntime(pass, with.status());
  stepper.ExitThroughOutput(pass, *with, context, pass.next);
}

}  // namespace loupe::workflow
