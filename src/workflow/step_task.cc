// The Task state: each attempt is scheduled (with its TimeoutSeconds deadline), runs its
// handler, and on error goes through Retry (first matching retrier), the engine's own retry
// of transient errors, Catch (first matching catcher), or fails the execution.
#include <cmath>
#include <exception>
#include <utility>

#include "workflow/stepper.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

// Transient errors that no Retrier matches: engine retries, 1 s doubling.
constexpr int kTransientAttempts = 3;
constexpr double kTransientIntervalSeconds = 1;

// Records a scheduled attempt due at `due_ms`, with its deadline when the Task has one.
void Schedule(Stepper& stepper, const State& task, int64_t due_ms, json details) {
  if (task.timeout_seconds) {
    details["timeout_seconds"] = *task.timeout_seconds;
    stepper.st().task_deadline_ms = due_ms + int64_t{*task.timeout_seconds} * 1000;
  }
  stepper.Event(HistoryEventType::kTaskScheduled, task.name, std::move(details));
}

// After a task error: Retry, engine retry of transient errors, Catch, or the execution fails.
void HandleError(Stepper& stepper, const State& task, const std::string& error,
                 const std::string& cause, bool transient) {
  ExecutionState& s = stepper.st();
  if (s.retries.size() < task.retry.size() + 1) {
    s.retries = json::array();
    for (size_t i = 0; i <= task.retry.size(); ++i) s.retries.push_back(0);
  }
  std::optional<double> delay_s;
  bool matched = false;
  for (size_t i = 0; i < task.retry.size(); ++i) {
    const Retrier& r = task.retry[i];
    if (!ErrorMatches(r.error_equals, error)) continue;
    matched = true;
    int done = s.retries[i].get<int>();
    if (done < r.max_attempts) {
      s.retries[i] = done + 1;
      delay_s = r.interval_seconds * std::pow(r.backoff_rate, done);
    }
    break;
  }
  if (!matched && transient) {
    size_t i = task.retry.size();
    int done = s.retries[i].get<int>();
    if (done < kTransientAttempts) {
      s.retries[i] = done + 1;
      delay_s = kTransientIntervalSeconds * std::pow(2.0, done);
    }
  }
  if (delay_s) {
    int64_t due = stepper.now_ms() + static_cast<int64_t>(std::llround(*delay_s * 1000));
    s.due_ms = due;
    Schedule(stepper, task, due,
             {{"resource", task.resource}, {"retry_at_ms", due}, {"attempt", stepper.Attempt()}});
    return;
  }
  for (const Catcher& c : task.catches) {
    if (!ErrorMatches(c.error_equals, error)) continue;
    auto out = stepper.WithResult(c.result_path, json{{"Error", error}, {"Cause", cause}});
    if (!out.ok()) {
      return stepper.FailExecution(std::string(kErrorRuntime), out.status().message());
    }
    return stepper.Exit(task, std::move(out).value(), c.next);
  }
  stepper.FailExecution(error, cause);
}

// A TaskTimedOut event, then the timeout goes through HandleError.
void TimedOut(Stepper& stepper, const State& task, const std::string& cause) {
  stepper.Event(HistoryEventType::kTaskTimedOut, task.name,
                {{"resource", task.resource}, {"error", kErrorTimeout}, {"cause", cause}});
  HandleError(stepper, task, std::string(kErrorTimeout), cause, false);
}

// Calls the handler (TaskFailed if none is registered or it throws).
TaskOutcome Call(Stepper& stepper, const State& task, const TaskHandler* handler,
                 const json& input) {
  if (handler == nullptr) {
    return TaskOutcome::Failure(std::string(kErrorTaskFailed),
                                "no task handler registered as '" + task.resource + "'");
  }
  const ExecutionState& s = stepper.st();
  TaskContext tc;
  tc.idempotency_key = IdempotencyKey(s);
  tc.execution_id = s.id;
  tc.state_name = task.name;
  tc.visit = VisitCount(s);
  tc.attempt = stepper.Attempt();
  if (s.task_deadline_ms) tc.deadline = FromUnixMillis(*s.task_deadline_ms);
  try {
    return (*handler)(input, tc);
  } catch (const std::exception& e) {
    return TaskOutcome::Failure(std::string(kErrorTaskFailed), e.what());
  }
}

}  // namespace

void EnterTask(Stepper& stepper, const State& task) {
  Schedule(stepper, task, stepper.now_ms(), {{"resource", task.resource}});
}

void StepTask(Stepper& stepper, const State& task, const json& input, const json& context) {
  json effective = input;
  if (task.parameters) {
    auto p = ApplyTemplate(*task.parameters, input, context);
    if (!p.ok()) return stepper.FailRuntime(task, p.status());
    effective = std::move(p).value();
  }
  const HandlerLookup& handlers = stepper.handlers();
  const TaskHandler* handler = handlers ? handlers(task.resource) : nullptr;
  stepper.Event(HistoryEventType::kTaskStarted, task.name, {{"resource", task.resource}});
  const std::optional<int64_t> deadline = stepper.st().task_deadline_ms;
  if (deadline && stepper.now_ms() >= *deadline) {
    // A previous run of this attempt outlived its deadline without recording an outcome.
    return TimedOut(stepper, task, "deadline passed");
  }
  TaskOutcome outcome = Call(stepper, task, handler, effective);
  if (handler != nullptr && deadline && ToUnixMillis(stepper.clock().Now()) > *deadline) {
    return TimedOut(stepper, task, "task ran past TimeoutSeconds");
  }
  if (!outcome.ok) {
    if (outcome.error.empty()) outcome.error = std::string(kErrorTaskFailed);
    stepper.Event(
        HistoryEventType::kTaskFailed, task.name,
        {{"resource", task.resource}, {"error", outcome.error}, {"cause", outcome.cause}});
    return HandleError(stepper, task, outcome.error, outcome.cause, outcome.transient);
  }
  stepper.Event(HistoryEventType::kTaskSucceeded, task.name,
                {{"resource", task.resource}, {"output", outcome.output}});
  auto with_result = stepper.WithResult(task.result_path, std::move(outcome.output));
  if (!with_result.ok()) return stepper.FailRuntime(task, with_result.status());
  stepper.ExitThroughOutput(task, *with_result, context, task.next);
}

}  // namespace loupe::workflow
