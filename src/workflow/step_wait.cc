// The Wait state: a timer persisted as the execution's due time (Seconds, SecondsPath,
// Timestamp or TimestampPath, read on entry); when it is due, the state exits.
#include <algorithm>
#include <cmath>
#include <string>

#include "workflow/stepper.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

Result<int64_t> WaitUntil(const State& wait, const json& input, const json& context,
                          int64_t now_ms) {
  if (wait.seconds) return now_ms + static_cast<int64_t>(std::llround(*wait.seconds * 1000));
  if (wait.seconds_path) {
    ASSIGN_OR_RETURN(json v, SelectPath(*wait.seconds_path, input, context));
    if (!v.is_number() || v.get<double>() < 0) {
      return InvalidArgumentError("SecondsPath '" + wait.seconds_path->text +
                                  "' is not a non-negative number");
    }
    return now_ms + static_cast<int64_t>(std::llround(v.get<double>() * 1000));
  }
  std::string text;
  if (wait.timestamp) {
    text = *wait.timestamp;
  } else {
    ASSIGN_OR_RETURN(json v, SelectPath(*wait.timestamp_path, input, context));
    if (!v.is_string()) {
      return InvalidArgumentError("TimestampPath '" + wait.timestamp_path->text +
                                  "' is not a string");
    }
    text = v.get<std::string>();
  }
  ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(text));
  return ToUnixMillis(t);
}

}  // namespace

void EnterWait(Stepper& stepper, const State& wait) {
  json context = stepper.Context();
  auto effective = stepper.EffectiveInput(wait, context);
  if (!effective.ok()) {
    return stepper.FailExecution(std::string(kErrorRuntime), effective.status().message());
  }
  auto until = WaitUntil(wait, *effective, context, stepper.now_ms());
  if (!until.ok()) {
    return stepper.FailExecution(std::string(kErrorRuntime), until.status().message());
  }
  stepper.st().due_ms = std::max(*until, stepper.now_ms());
}

void StepWait(Stepper& stepper, const State& wait, const json& input, const json& context) {
  stepper.ExitThroughOutput(wait, input, context, wait.next);
}

}  // namespace loupe::workflow
