#include "workflow/step.h"

#include <cmath>
#include <exception>
#include <utility>

namespace loupe::workflow {
namespace {

using nlohmann::json;

// Transient errors that no Retrier matches: engine retries, 1 s doubling.
constexpr int kTransientAttempts = 3;
constexpr double kTransientIntervalSeconds = 1;

int64_t Visit(const ExecutionState& st) {
  auto it = st.visits.find(st.state);
  return it == st.visits.end() ? 0 : it->get<int64_t>();
}

class Stepper {
 public:
  Stepper(const ExecutionState& st, const Definition& def, int64_t now_ms, const json& params)
      : def_(def), now_ms_(now_ms), params_(params) {
    result_.next = st;
  }

  StepResult Take() { return std::move(result_); }
  ExecutionState& st() { return result_.next; }

  void Event(HistoryEventType type, const std::string& state, json details) {
    result_.events.push_back({type, state, std::move(details), now_ms_});
  }

  json Context() { return BuildContext(st(), params_); }

  void FailExecution(const std::string& error, const std::string& cause) {
    ExecutionState& s = st();
    s.status = ExecutionStatus::kFailed;
    s.error = error;
    s.cause = cause;
    s.due_ms.reset();
    s.task_deadline_ms.reset();
    s.stop_ms = now_ms_;
    Event(HistoryEventType::kExecutionFailed, "", {{"error", error}, {"cause", cause}});
  }

  void SucceedExecution(json output) {
    ExecutionState& s = st();
    s.status = ExecutionStatus::kSucceeded;
    s.output = std::move(output);
    s.due_ms.reset();
    s.task_deadline_ms.reset();
    s.stop_ms = now_ms_;
    Event(HistoryEventType::kExecutionSucceeded, "", {{"output", s.output}});
  }

  // Leaves the current state with `output`: its Exited event, then End or the next state.
  void Exit(const State& state, json output, const std::string& next) {
    Event(StateExitedType(state.type), state.name, {{"name", state.name}, {"output", output}});
    if (next.empty()) {
      SucceedExecution(std::move(output));
    } else {
      Enter(next, std::move(output));
    }
  }

  void Enter(const std::string& name, json input) {
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
    if (state->type == StateType::kTask) {
      json details = {{"resource", state->resource}};
      if (state->timeout_seconds) {
        details["timeout_seconds"] = *state->timeout_seconds;
        s.task_deadline_ms = now_ms_ + int64_t{*state->timeout_seconds} * 1000;
      }
      Event(HistoryEventType::kTaskScheduled, name, std::move(details));
    } else if (state->type == StateType::kWait) {
      json context = Context();
      auto effective = EffectiveInput(*state, context);
      if (!effective.ok()) {
        return FailExecution(std::string(kErrorRuntime), effective.status().message());
      }
      auto until = WaitUntil(*state, *effective, context);
      if (!until.ok()) return FailExecution(std::string(kErrorRuntime), until.status().message());
      s.due_ms = std::max(*until, now_ms_);
    }
  }

  Result<json> EffectiveInput(const State& state, const json& context) {
    if (!state.input_path) return json::object();
    return SelectPath(*state.input_path, st().state_input, context);
  }

  Result<json> Output(const State& state, const json& value, const json& context) {
    if (!state.output_path) return json::object();
    return SelectPath(*state.output_path, value, context);
  }

  Result<json> WithResult(const std::optional<JsonPath>& result_path, json result) {
    if (!result_path) return st().state_input;
    return InsertAtPath(*result_path, st().state_input, std::move(result));
  }

  Result<int64_t> WaitUntil(const State& state, const json& input, const json& context) {
    if (state.seconds) return now_ms_ + static_cast<int64_t>(std::llround(*state.seconds * 1000));
    if (state.seconds_path) {
      ASSIGN_OR_RETURN(json v, SelectPath(*state.seconds_path, input, context));
      if (!v.is_number() || v.get<double>() < 0) {
        return InvalidArgumentError("SecondsPath '" + state.seconds_path->text +
                                    "' is not a non-negative number");
      }
      return now_ms_ + static_cast<int64_t>(std::llround(v.get<double>() * 1000));
    }
    std::string text;
    if (state.timestamp) {
      text = *state.timestamp;
    } else {
      ASSIGN_OR_RETURN(json v, SelectPath(*state.timestamp_path, input, context));
      if (!v.is_string()) {
        return InvalidArgumentError("TimestampPath '" + state.timestamp_path->text +
                                    "' is not a string");
      }
      text = v.get<std::string>();
    }
    ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(text));
    return ToUnixMillis(t);
  }

  // After a task error: Retry (first matching retrier), engine retry of transient errors,
  // Catch (first matching catcher), or the execution fails.
  void HandleError(const State& state, const std::string& error, const std::string& cause,
                   bool transient) {
    ExecutionState& s = st();
    if (s.retries.size() < state.retry.size() + 1) {
      s.retries = json::array();
      for (size_t i = 0; i <= state.retry.size(); ++i) s.retries.push_back(0);
    }
    std::optional<double> delay_s;
    bool matched = false;
    for (size_t i = 0; i < state.retry.size(); ++i) {
      const Retrier& r = state.retry[i];
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
      size_t i = state.retry.size();
      int done = s.retries[i].get<int>();
      if (done < kTransientAttempts) {
        s.retries[i] = done + 1;
        delay_s = kTransientIntervalSeconds * std::pow(2.0, done);
      }
    }
    if (delay_s) {
      int64_t due = now_ms_ + static_cast<int64_t>(std::llround(*delay_s * 1000));
      s.due_ms = due;
      json details = {{"resource", state.resource}, {"retry_at_ms", due}, {"attempt", Attempt()}};
      if (state.timeout_seconds) {
        s.task_deadline_ms = due + int64_t{*state.timeout_seconds} * 1000;
        details["timeout_seconds"] = *state.timeout_seconds;
      }
      Event(HistoryEventType::kTaskScheduled, state.name, std::move(details));
      return;
    }
    for (const Catcher& c : state.catches) {
      if (!ErrorMatches(c.error_equals, error)) continue;
      auto out = WithResult(c.result_path, json{{"Error", error}, {"Cause", cause}});
      if (!out.ok()) return FailExecution(std::string(kErrorRuntime), out.status().message());
      return Exit(state, std::move(out).value(), c.next);
    }
    FailExecution(error, cause);
  }

  int Attempt() {
    int attempt = 1;
    for (const json& n : st().retries) attempt += n.get<int>();
    return attempt;
  }

  void RunTask(const State& state, const Clock& clock, const HandlerLookup& handlers) {
    ExecutionState& s = st();
    json context = Context();
    auto effective = EffectiveInput(state, context);
    if (effective.ok() && state.parameters) {
      effective = ApplyTemplate(*state.parameters, *effective, context);
    }
    if (!effective.ok()) {
      return FailExecution(std::string(kErrorRuntime),
                           "state '" + state.name + "': " + effective.status().message());
    }
    const TaskHandler* handler = handlers ? handlers(state.resource) : nullptr;
    Event(HistoryEventType::kTaskStarted, state.name, {{"resource", state.resource}});
    if (s.task_deadline_ms && now_ms_ >= *s.task_deadline_ms) {
      // A previous run of this attempt outlived its deadline without recording an outcome.
      Event(HistoryEventType::kTaskTimedOut, state.name,
            {{"resource", state.resource}, {"error", kErrorTimeout}, {"cause", "deadline passed"}});
      return HandleError(state, std::string(kErrorTimeout), "deadline passed", false);
    }
    TaskOutcome outcome;
    if (handler == nullptr) {
      outcome = TaskOutcome::Failure(std::string(kErrorTaskFailed),
                                     "no task handler registered as '" + state.resource + "'");
    } else {
      TaskContext tc;
      tc.idempotency_key = IdempotencyKey(s);
      tc.execution_id = s.id;
      tc.state_name = state.name;
      tc.visit = Visit(s);
      tc.attempt = Attempt();
      if (s.task_deadline_ms) tc.deadline = FromUnixMillis(*s.task_deadline_ms);
      try {
        outcome = (*handler)(*effective, tc);
      } catch (const std::exception& e) {
        outcome = TaskOutcome::Failure(std::string(kErrorTaskFailed), e.what());
      }
      if (s.task_deadline_ms && ToUnixMillis(clock.Now()) > *s.task_deadline_ms) {
        Event(HistoryEventType::kTaskTimedOut, state.name,
              {{"resource", state.resource},
               {"error", kErrorTimeout},
               {"cause", "task ran past TimeoutSeconds"}});
        return HandleError(state, std::string(kErrorTimeout), "task ran past TimeoutSeconds",
                           false);
      }
    }
    if (!outcome.ok) {
      if (outcome.error.empty()) outcome.error = std::string(kErrorTaskFailed);
      Event(HistoryEventType::kTaskFailed, state.name,
            {{"resource", state.resource}, {"error", outcome.error}, {"cause", outcome.cause}});
      return HandleError(state, outcome.error, outcome.cause, outcome.transient);
    }
    Event(HistoryEventType::kTaskSucceeded, state.name,
          {{"resource", state.resource}, {"output", outcome.output}});
    auto with_result = WithResult(state.result_path, std::move(outcome.output));
    if (!with_result.ok()) {
      return FailExecution(std::string(kErrorRuntime),
                           "state '" + state.name + "': " + with_result.status().message());
    }
    auto out = Output(state, *with_result, context);
    if (!out.ok()) {
      return FailExecution(std::string(kErrorRuntime),
                           "state '" + state.name + "': " + out.status().message());
    }
    Exit(state, std::move(out).value(), state.next);
  }

  void Run(const Clock& clock, const HandlerLookup& handlers) {
    const State* state = def_.Find(st().state);
    if (state == nullptr) {
      return FailExecution(std::string(kErrorRuntime),
                           "the definition has no state '" + st().state + "'");
    }
    if (state->type == StateType::kTask) return RunTask(*state, clock, handlers);
    json context = Context();
    auto effective = EffectiveInput(*state, context);
    auto runtime = [&](const Status& s) {
      FailExecution(std::string(kErrorRuntime), "state '" + state->name + "': " + s.message());
    };
    if (!effective.ok()) return runtime(effective.status());
    switch (state->type) {
      case StateType::kPass: {
        json result = state->result ? *state->result : *effective;
        if (state->parameters) {
          auto p = ApplyTemplate(*state->parameters, *effective, context);
          if (!p.ok()) return runtime(p.status());
          if (!state->result) result = std::move(p).value();
        }
        auto with = WithResult(state->result_path, std::move(result));
        if (!with.ok()) return runtime(with.status());
        auto out = Output(*state, *with, context);
        if (!out.ok()) return runtime(out.status());
        return Exit(*state, std::move(out).value(), state->next);
      }
      case StateType::kChoice: {
        auto next = EvaluateChoice(*state, *effective, context);
        if (!next.ok()) return runtime(next.status());
        if (!next->has_value()) {
          return FailExecution(
              std::string(kErrorNoChoiceMatched),
              "state '" + state->name + "': no choice rule matched and no Default");
        }
        auto out = Output(*state, *effective, context);
        if (!out.ok()) return runtime(out.status());
        return Exit(*state, std::move(out).value(), **next);
      }
      case StateType::kWait: {
        auto out = Output(*state, *effective, context);
        if (!out.ok()) return runtime(out.status());
        return Exit(*state, std::move(out).value(), state->next);
      }
      case StateType::kSucceed: {
        auto out = Output(*state, *effective, context);
        if (!out.ok()) return runtime(out.status());
        Event(HistoryEventType::kSucceedStateExited, state->name,
              {{"name", state->name}, {"output", *out}});
        return SucceedExecution(std::move(out).value());
      }
      case StateType::kFail:
        return FailExecution(state->error, state->cause);
      case StateType::kTask:
        break;
    }
  }

 private:
  const Definition& def_;
  int64_t now_ms_;
  const json& params_;
  StepResult result_;
};

}  // namespace

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
  return st.id + "/" + st.state + "/" + std::to_string(Visit(st));
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
  Stepper stepper(st, def, ToUnixMillis(clock.Now()), params);
  if (st.status == ExecutionStatus::kRunning) stepper.Run(clock, handlers);
  return stepper.Take();
}

}  // namespace loupe::workflow
