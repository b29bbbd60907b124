// The Choice state: the Next of the first matching rule, else Default, else
// States.NoChoiceMatched. The rules themselves are evaluated by EvaluateChoice (choice.cc).
#include "workflow/stepper.h"

namespace loupe::workflow {

void StepChoice(Stepper& stepper, const State& choice, const nlohmann::json& input,
                const nlohmann::json& context) {
  auto next = EvaluateChoice(choice, input, context);
  if (!next.ok()) return stepper.FailRuntime(choice, next.status());
  if (!next->has_value()) {
    return stepper.FailExecution(
        std::string(kErrorNoChoiceMatched),
        "state '" + choice.name + "': no choice rule matched and no Default");
  }
  stepper.ExitThroughOutput(choice, input, context, **next);
}

}  // namespace loupe::workflow
