#include "workflow/engine.h"

#include <gtest/gtest.h>

#include <future>

#include "support/foundation.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;
using std::chrono::seconds;

class EngineTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    engine_.reset();
    ReopenFoundation();
    EngineOptions options;
    options.workers = 2;
    engine_ = std::move(Engine::Open(*db_, clock_, params_.get(), options)).value();
    engine_->RegisterHandler("loupe:echo", [this](const json& in, const TaskContext& ctx) {
      calls_.push_back({ctx.idempotency_key, in});
      return TaskOutcome::Success({{"echo", in}});
    });
    engine_->RegisterHandler("loupe:script", [this](const json& in, const TaskContext& ctx) {
      calls_.push_back({ctx.idempotency_key, in});
      if (script_.empty()) return TaskOutcome::Success({{"done", true}});
      TaskOutcome o = script_.front();
      script_.erase(script_.begin());
      return o;
    });
    engine_->RegisterHandler("loupe:slow", [this](const json&, const TaskContext&) {
      clock_.Advance(seconds(10));
      return TaskOutcome::Success({{"late", true}});
    });
  }

  void Load(const std::string& name, const std::string& definition) {
    Status s = engine_->LoadDefinition(name, definition);
    ASSERT_TRUE(s.ok()) << s;
  }

  ExecutionInfo Run(const std::string& machine, const json& input, const std::string& name = "") {
    auto r = engine_->StartExecution({machine, name, input});
    EXPECT_TRUE(r.ok()) << r.status();
    auto n = engine_->RunUntilIdle();
    EXPECT_TRUE(n.ok()) << n.status();
    return *engine_->GetExecution(r->execution.id);
  }

  std::vector<std::string> HistoryTypes(const std::string& id) {
    std::vector<std::string> out;
    auto history = engine_->History(id);
    EXPECT_TRUE(history.ok()) << history.status();
    for (const auto& e : history.value_or(std::vector<HistoryEvent>{})) {
      out.emplace_back(HistoryEventTypeName(e.type));
    }
    return out;
  }

  std::unique_ptr<Engine> engine_;
  std::vector<std::pair<std::string, json>> calls_;
  std::vector<TaskOutcome> script_;
};

TEST_F(EngineTest, PassStatesApplyInputPathParametersResultPathOutputPath) {
  Load("flow", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.x","k":"lit"},
         "ResultPath":"$.in.r","OutputPath":"$.in","Next":"B"},
    "B":{"Type":"Pass","Result":{"fixed":1},"ResultPath":null,"Next":"C"},
    "C":{"Type":"Pass","Result":{"fixed":2},"ResultPath":"$","End":true}}})");
  // A: effective input {"x":5} -> result {"v":5,"k":"lit"} at $.in.r of the raw input.
  Load("flow2", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.x","k":"lit"},
         "ResultPath":"$.in.r","OutputPath":"$.in","End":true}}})");
  ExecutionInfo e = Run("flow2", {{"in", {{"x", 5}}}, {"other", 1}});
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output, json({{"x", 5}, {"r", {{"v", 5}, {"k", "lit"}}}}));
  ExecutionInfo f = Run("flow", {{"in", {{"x", 5}}}});
  EXPECT_EQ(f.output, json({{"fixed", 2}}));
  EXPECT_EQ(HistoryTypes(f.id),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "PassStateEntered", "PassStateExited", "PassStateEntered",
                                      "PassStateExited", "ExecutionSucceeded"}));
}

TEST_F(EngineTest, NullInputPathAndOutputPathGiveEmptyObjects) {
  Load("n", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","InputPath":null,"ResultPath":"$.got","Next":"B"},
    "B":{"Type":"Pass","OutputPath":null,"End":true}}})");
  ExecutionInfo e = Run("n", {{"x", 1}});
  EXPECT_EQ(e.output, json::object());
  auto h = *engine_->History(e.id);
  EXPECT_EQ(h[3].details["input"], json({{"x", 1}, {"got", json::object()}}));
}

TEST_F(EngineTest, TaskGetsParametersAndIdempotencyKeyPerVisit) {
  Load("t", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"loupe:echo","Parameters":{"n.$":"$.n",
         "state.$":"$$.State.Name","id.$":"$$.Execution.Id"},"ResultPath":"$.res","Next":"C"},
    "C":{"Type":"Choice","Choices":[{"Variable":"$.res.echo.n","NumericLessThan":1,"Next":"Inc"}],
         "Default":"Done"},
    "Inc":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"T"},
    "Done":{"Type":"Succeed"}}})");
  ExecutionInfo e = Run("t", {{"n", 0}}, "run1");
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[0].first, "t:run1/T/1");
  EXPECT_EQ(calls_[1].first, "t:run1/T/2");
  EXPECT_EQ(calls_[0].second, json({{"n", 0}, {"state", "T"}, {"id", "t:run1"}}));
  EXPECT_EQ(e.output["res"]["echo"]["n"], 1);
  auto types = HistoryTypes(e.id);
  EXPECT_EQ(std::vector<std::string>(types.begin(), types.begin() + 7),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSucceeded", "TaskStateExited",
                                      "ChoiceStateEntered"}));
}

TEST_F(EngineTest, RetryBacksOffOnTheClockThenSucceeds) {
  Load("r", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:script",
    "Retry":[{"ErrorEquals":["Other"],"MaxAttempts":5},
             {"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":3}],
    "End":true}}})");
  script_ = {TaskOutcome::Failure("Flaky", "1"), TaskOutcome::Failure("Flaky", "2")};
  ExecutionInfo e = Run("r", json::object(), "x");
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  EXPECT_EQ(calls_.size(), 1u);
  clock_.Advance(std::chrono::milliseconds(1999));
  EXPECT_EQ(*engine_->RunUntilIdle(), 0);
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(*engine_->RunUntilIdle(), 1);  // second attempt fails; next in 2*3 = 6 s
  EXPECT_EQ(calls_.size(), 2u);
  clock_.Advance(seconds(5));
  EXPECT_EQ(*engine_->RunUntilIdle(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(*engine_->RunUntilIdle(), 1);
  EXPECT_EQ(engine_->GetExecution("r:x")->status, ExecutionStatus::kSucceeded);
  // Every attempt of one visit shares the idempotency key.
  for (const auto& c : calls_) EXPECT_EQ(c.first, "r:x/T/1");
}

TEST_F(EngineTest, RetriesAreExhaustedBeforeCatchAndCatcherOrderMatters) {
  Load("c", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:script",
    "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":1}],
    "Catch":[{"ErrorEquals":["Other"],"Next":"Wrong"},
             {"ErrorEquals":["Boom"],"Next":"Handled","ResultPath":"$.error"},
             {"ErrorEquals":["States.ALL"],"Next":"Wrong"}],
    "End":true},
    "Wrong":{"Type":"Fail","Error":"Wrong"},
    "Handled":{"Type":"Pass","End":true}}})");
  script_ = {TaskOutcome::Failure("Boom", "first"), TaskOutcome::Failure("Boom", "second")};
  ExecutionInfo e = Run("c", {{"a", 1}}, "x");
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  e = *engine_->GetExecution("c:x");
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(calls_.size(), 2u);
  EXPECT_EQ(e.output, json({{"a", 1}, {"error", {{"Error", "Boom"}, {"Cause", "second"}}}}));
}

TEST_F(EngineTest, TaskFailedMatchesCustomErrorsAndUncaughtErrorsFailTheExecution) {
  Load("f", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:script",
    "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],"End":true},
    "Caught":{"Type":"Fail","Error":"Caught","Cause":"by TaskFailed"}}})");
  script_ = {TaskOutcome::Failure("Custom", "c")};
  ExecutionInfo e = Run("f", json::object());
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.error, "Caught");
  EXPECT_EQ(e.cause, "by TaskFailed");
  Load("g", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:script",
    "End":true}}})");
  script_ = {TaskOutcome::Failure("Custom", "why")};
  ExecutionInfo g = Run("g", json::object());
  EXPECT_EQ(g.status, ExecutionStatus::kFailed);
  EXPECT_EQ(g.error, "Custom");
  EXPECT_EQ(HistoryTypes(g.id).back(), "ExecutionFailed");
}

TEST_F(EngineTest, TaskPastTimeoutSecondsIsTimedOutAndNotMatchedByTaskFailed) {
  Load("to", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:slow",
    "TimeoutSeconds":5,
    "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Wrong"},
             {"ErrorEquals":["States.Timeout"],"Next":"Late"}],"End":true},
    "Wrong":{"Type":"Fail"},"Late":{"Type":"Succeed"}}})");
  ExecutionInfo e = Run("to", json::object());
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  auto types = HistoryTypes(e.id);
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskTimedOut"), types.end());
  EXPECT_EQ(e.output,
            json({{"Error", "States.Timeout"}, {"Cause", "task ran past TimeoutSeconds"}}));
}

TEST_F(EngineTest, TransientErrorsWithoutRetrierAreRetriedByTheEngine) {
  Load("tr", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:script",
    "End":true}}})");
  script_ = {TaskOutcome::FromStatus(UnavailableError("db busy"))};
  ExecutionInfo e = Run("tr", json::object(), "x");
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(engine_->GetExecution("tr:x")->status, ExecutionStatus::kSucceeded);
}

TEST_F(EngineTest, WaitSecondsIsAPersistedTimerThatSurvivesReopen) {
  Load("w", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":300,"Next":"S"},
    "S":{"Type":"Succeed"}}})");
  ExecutionInfo e = Run("w", {{"k", 1}}, "x");
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  EXPECT_EQ(e.current_state, "W");
  clock_.Advance(seconds(299));
  Reopen();
  Load("w", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":300,"Next":"S"},
    "S":{"Type":"Succeed"}}})");
  EXPECT_EQ(*engine_->RunUntilIdle(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(*engine_->RunUntilIdle(), 2);
  e = *engine_->GetExecution("w:x");
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output, json({{"k", 1}}));
  EXPECT_EQ(HistoryTypes(e.id),
            (std::vector<std::string>{"ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                      "SucceedStateEntered", "SucceedStateExited",
                                      "ExecutionSucceeded"}));
}

TEST_F(EngineTest, WaitSecondsPathTimestampAndTimestampPath) {
  Load("w", R"({"StartAt":"A","States":{
    "A":{"Type":"Wait","SecondsPath":"$.s","Next":"B"},
    "B":{"Type":"Wait","Timestamp":"2026-01-01T01:00:00Z","Next":"C"},
    "C":{"Type":"Wait","TimestampPath":"$.t","Next":"D"},
    "D":{"Type":"Succeed"}}})");
  ExecutionInfo e = Run("w", {{"s", 60}, {"t", "2026-01-01T02:00:00Z"}}, "x");
  EXPECT_EQ(e.current_state, "A");
  clock_.Advance(seconds(60));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(engine_->GetExecution("w:x")->current_state, "B");
  clock_.Set(*ParseRfc3339("2026-01-01T01:00:00Z"));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(engine_->GetExecution("w:x")->current_state, "C");
  clock_.Set(*ParseRfc3339("2026-01-01T02:00:00Z"));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(engine_->GetExecution("w:x")->status, ExecutionStatus::kSucceeded);
  // A bad SecondsPath is a runtime error.
  ExecutionInfo bad = Run("w", {{"s", "soon"}});
  EXPECT_EQ(bad.status, ExecutionStatus::kFailed);
  EXPECT_EQ(bad.error, "States.Runtime");
}

TEST_F(EngineTest, ChoiceReadsParametersAndFailsWithoutMatchOrDefault) {
  Load("p", R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$$.Params.Minimum-F1-Score",
         "NumericGreaterThanEquals":0.9,"Next":"High"},
         {"Variable":"$.f1","NumericGreaterThanEqualsPath":"$$.Params.Minimum-F1-Score",
          "Next":"Deploy"}]},
    "High":{"Type":"Succeed"},
    "Deploy":{"Type":"Pass","Parameters":{"min.$":"$$.Params.Minimum-F1-Score"},"End":true}}})");
  ExecutionInfo e = Run("p", {{"f1", 0.85}});
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output, json({{"min", 0.8}}));
  ExecutionInfo none = Run("p", {{"f1", 0.5}});
  EXPECT_EQ(none.status, ExecutionStatus::kFailed);
  EXPECT_EQ(none.error, "States.NoChoiceMatched");
  ASSERT_TRUE(params_->Set("Minimum-F1-Score", 0.95, "test").ok());
  EXPECT_EQ(Run("p", {{"f1", 0.5}}).output, json({{"f1", 0.5}}));
}

TEST_F(EngineTest, FailStateAndContextStartTime) {
  Load("f", R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Parameters":{"t.$":"$$.Execution.StartTime"},"Next":"F"},
    "F":{"Type":"Fail","Error":"Loupe.Gate","Cause":"F1 too low"}}})");
  ExecutionInfo e = Run("f", json::object());
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.error, "Loupe.Gate");
  EXPECT_EQ(e.cause, "F1 too low");
  auto h = *engine_->History(e.id);
  EXPECT_EQ(h[3].details["input"]["t"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(HistoryTypes(e.id).back(), "ExecutionFailed");
}

TEST_F(EngineTest, StartByNameIsIdempotent) {
  Load("i", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}})");
  auto a = engine_->StartExecution({"i", "evt-7", {{"k", 1}}});
  auto b = engine_->StartExecution({"i", "evt-7", {{"k", 1}}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->created);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->execution.id, "i:evt-7");
  EXPECT_EQ(engine_->StartExecution({"i", "evt-7", {{"k", 2}}}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->StartExecution({"nope", "", {}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->StartExecution({"i", "bad name", {}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->ListExecutions({"i", std::nullopt, 100})->size(), 1u);
}

TEST_F(EngineTest, StopAbortsARunningExecution) {
  Load("s", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}})");
  auto a = engine_->StartExecution({"s", "x", json::object()});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(engine_->StopExecution("s:x", "Operator", "no longer needed").ok());
  clock_.Advance(seconds(10));
  EXPECT_EQ(*engine_->RunUntilIdle(), 0);
  ExecutionInfo e = *engine_->GetExecution("s:x");
  EXPECT_EQ(e.status, ExecutionStatus::kAborted);
  EXPECT_EQ(e.error, "Operator");
  EXPECT_EQ(HistoryTypes(e.id).back(), "ExecutionAborted");
  EXPECT_EQ(engine_->StopExecution("s:x", "", "").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->StopExecution("s:nope", "", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->ListExecutions({"", ExecutionStatus::kAborted, 10})->size(), 1u);
}

TEST_F(EngineTest, RunningExecutionsKeepTheirDefinitionRevision) {
  Load("v", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"A"},
    "A":{"Type":"Pass","Result":"one","End":true}}})");
  ASSERT_TRUE(engine_->StartExecution({"v", "old", json::object()}).ok());
  Load("v", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"A"},
    "A":{"Type":"Pass","Result":"two","End":true}}})");
  ASSERT_TRUE(engine_->StartExecution({"v", "new", json::object()}).ok());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(engine_->GetExecution("v:old")->output, "one");
  EXPECT_EQ(engine_->GetExecution("v:new")->output, "two");
  EXPECT_EQ(engine_->GetStateMachine("v")->revision, 2);
  EXPECT_EQ(engine_->ListStateMachines()->size(), 1u);
}

TEST_F(EngineTest, ALeaseOfTheSameNodesDeadIncarnationIsTakenBackOnOpen) {
  Load("l", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:echo",
    "End":true}}})");
  ASSERT_TRUE(engine_->StartExecution({"l", "x", json::object()}).ok());
  // As if a crashed incarnation had claimed it and died before recording the task's outcome.
  ASSERT_TRUE(db_->Write([](db::Transaction& tx) {
                   return tx
                       .Exec(
                           "UPDATE wf_executions SET lease_owner = 'local:dead:w0',"
                           " lease_expires_ms = 9999999999999")
                       .status();
                 })
                  .ok());
  EXPECT_EQ(*engine_->RunUntilIdle(), 0);  // held by a lease that has not expired
  Reopen();
  Load("l", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:echo",
    "End":true}}})");
  EXPECT_EQ(*engine_->RunUntilIdle(), 1);
  EXPECT_EQ(engine_->GetExecution("l:x")->status, ExecutionStatus::kSucceeded);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].first, "l:x/T/1");
}

TEST_F(EngineTest, ATaskOutlivingItsLeaseIsNotClaimedAgainByThisProcess) {
  int runs = 0;
  engine_->RegisterHandler("loupe:long", [&](const json&, const TaskContext&) {
    ++runs;
    clock_.Advance(std::chrono::minutes(5));  // far past the 60 s lease
    EXPECT_EQ(*engine_->RunUntilIdle(), 0);   // another worker looks for work meanwhile
    return TaskOutcome::Success(json::object());
  });
  Load("long", R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"loupe:long",
    "End":true}}})");
  ExecutionInfo e = Run("long", json::object());
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(runs, 1);
}

TEST_F(EngineTest, WorkerThreadsRunExecutionsToCompletion) {
  std::promise<void> done;
  std::atomic<int> count{0};
  constexpr int kExecutions = 40;
  engine_->RegisterHandler("loupe:count", [&](const json&, const TaskContext&) {
    if (++count == kExecutions) done.set_value();
    return TaskOutcome::Success(json::object());
  });
  Load("m", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"T"},
    "T":{"Type":"Task","Resource":"loupe:count","Next":"S"},"S":{"Type":"Succeed"}}})");
  ASSERT_TRUE(engine_->Start().ok());
  for (int i = 0; i < kExecutions; ++i) {
    ASSERT_TRUE(engine_->StartExecution({"m", "e" + std::to_string(i), json::object()}).ok());
  }
  ASSERT_EQ(done.get_future().wait_for(seconds(30)), std::future_status::ready);
  // The last task's step may still be committing; Stop() waits for it.
  engine_->Stop();
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  EXPECT_EQ(*engine_->CountRunning(), 0);
  EXPECT_EQ(engine_->ListExecutions({"m", ExecutionStatus::kSucceeded, 1000})->size(),
            static_cast<size_t>(kExecutions));
}

}  // namespace
}  // namespace loupe::workflow
