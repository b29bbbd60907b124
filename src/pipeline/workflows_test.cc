// The shipped state machines, run by the real engine with recording task handlers: their
// branches (review threshold, A2I switch, backlog, single flight, gate) and their Catch paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "pipeline/handlers.h"
#include "support/foundation.h"
#include "workflow/engine.h"

namespace loupe::pipeline {
namespace {

using nlohmann::json;
using workflow::ExecutionStatus;
using workflow::TaskContext;
using workflow::TaskOutcome;

constexpr const char* kResources[] = {
    "loupe:detect",       "loupe:startHumanLoop",  "loupe:countUntrainedImages",
    "loupe:train",        "loupe:describeVersion", "loupe:evaluate",
    "loupe:startVersion", "loupe:switchEndpoint",  "loupe:stopVersion",
    "loupe:notify",       "loupe:fileHumanAnswer", "loupe:applyParameter"};

class ShippedWorkflowsTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    engine_ = std::move(workflow::Engine::Open(*db_, clock_, params_.get())).value();
    for (const char* r : kResources) {
      std::string resource = r;
      engine_->RegisterHandler(resource, [this, resource](const json& in, const TaskContext&) {
        calls_[resource].push_back(in);
        auto it = replies_.find(resource);
        if (it == replies_.end()) return TaskOutcome::Success(json::object());
        std::vector<TaskOutcome>& queue = it->second;
        TaskOutcome out = queue.front();
        if (queue.size() > 1) queue.erase(queue.begin());
        return out;
      });
    }
    ASSERT_TRUE(LoadShippedWorkflows(*engine_).ok());
  }

  // Starts `machine` with an event-shaped input and runs it until it waits or ends.
  workflow::ExecutionInfo Run(const std::string& machine, const json& detail) {
    auto started = engine_->StartExecution(
        {machine, "", {{"id", 1}, {"kind", "test"}, {"time", ""}, {"detail", detail}}});
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    id_ = started->execution.id;
    return Drain();
  }
  workflow::ExecutionInfo Drain() {
    EXPECT_TRUE(engine_->RunUntilIdle().ok());
    return *engine_->GetExecution(id_);
  }
  size_t Calls(const std::string& r) { return calls_[r].size(); }
  void SetParam(const std::string& name, const json& value) {
    ASSERT_TRUE(params_->Set(name, value, "test").ok());
  }

  std::unique_ptr<workflow::Engine> engine_;
  std::map<std::string, std::vector<json>> calls_;
  std::map<std::string, std::vector<TaskOutcome>> replies_;
  std::string id_;
};

TEST_F(ShippedWorkflowsTest, AllFourLoadAndNameOnlyKnownResources) {
  auto machines = engine_->ListStateMachines();
  ASSERT_TRUE(machines.ok());
  std::vector<std::string> names;
  for (const auto& m : *machines) names.push_back(m.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"detection", "human-answer", "parameter-change",
                                             "training-poll"}));
}

TEST_F(ShippedWorkflowsTest, LowConfidenceDetectionStartsOneLoop) {
  replies_["loupe:detect"] = {TaskOutcome::Success(
      {{"Label", "acme"}, {"Confidence", 41.5}, {"Choices", {"acme", "globex"}}})};
  auto e = Run("detection", {{"key", "images_for_detection/a.jpg"}});
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  ASSERT_EQ(Calls("loupe:startHumanLoop"), 1u);
  EXPECT_EQ(calls_["loupe:startHumanLoop"][0]["Key"], "images_for_detection/a.jpg");
  EXPECT_EQ(calls_["loupe:startHumanLoop"][0]["Detection"]["Label"], "acme");
  ASSERT_EQ(Calls("loupe:notify"), 1u);
  EXPECT_EQ(calls_["loupe:notify"][0]["Type"], "DetectionBelowThreshold");
}

TEST_F(ShippedWorkflowsTest, ConfidentDetectionOrReviewOffStartsNoLoop) {
  replies_["loupe:detect"] = {TaskOutcome::Success({{"Label", "acme"}, {"Confidence", 70.0}})};
  EXPECT_EQ(Run("detection", {{"key", "images_for_detection/a.jpg"}}).status,
            ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:startHumanLoop"), 0u);  // 70 is not below the default 70

  SetParam("Enable-A2I-Workflow", false);
  replies_["loupe:detect"] = {TaskOutcome::Success({{"Label", "acme"}, {"Confidence", 5.0}})};
  EXPECT_EQ(Run("detection", {{"key", "images_for_detection/b.jpg"}}).status,
            ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:startHumanLoop"), 0u);

  SetParam("Enable-A2I-Workflow", true);
  SetParam("Minimum-Label-Detection-Confidence", 10.0);
  EXPECT_EQ(Run("detection", {{"key", "images_for_detection/c.jpg"}}).status,
            ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:startHumanLoop"), 1u);  // 5 < 10, parameter read live
}

TEST_F(ShippedWorkflowsTest, ImageUploadedBeforeAnyModelWaitsInTheBacklog) {
  replies_["loupe:detect"] = {TaskOutcome::Failure("Loupe.NoModel", "no model"),
                              TaskOutcome::Failure("Loupe.NoModel", "no model"),
                              TaskOutcome::Success({{"Label", "acme"}, {"Confidence", 99.0}})};
  auto e = Run("detection", {{"key", "images_for_detection/a.jpg"}});
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  EXPECT_EQ(e.current_state, "WaitForModel");
  EXPECT_EQ(Calls("loupe:detect"), 1u);
  clock_.Advance(std::chrono::seconds(15));
  EXPECT_EQ(Drain().current_state, "WaitForModel");
  clock_.Advance(std::chrono::seconds(15));
  EXPECT_EQ(Drain().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:detect"), 3u);
  EXPECT_EQ(Calls("loupe:notify"), 0u);
}

TEST_F(ShippedWorkflowsTest, BrokenImageIsRecordedAndNotified) {
  replies_["loupe:detect"] = {TaskOutcome::Failure("Loupe.InvalidArgument", "not an image")};
  auto e = Run("detection", {{"key", "images_for_detection/a.jpg"}});
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.error, "Loupe.DetectionFailed");
  ASSERT_EQ(Calls("loupe:notify"), 1u);
  EXPECT_EQ(calls_["loupe:notify"][0]["Topic"], "operator");
  EXPECT_EQ(calls_["loupe:notify"][0]["Detail"]["Error"]["Error"], "Loupe.InvalidArgument");
}

TEST_F(ShippedWorkflowsTest, PollBelowMinimumOrWhileTrainingDoesNothing) {
  replies_["loupe:countUntrainedImages"] = {
      TaskOutcome::Success({{"Untrained", 9}, {"TrainingInFlight", false}}),
      TaskOutcome::Success({{"Untrained", 50}, {"TrainingInFlight", true}})};
  EXPECT_EQ(Run("training-poll", json::object()).status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(Run("training-poll", json::object()).status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:train"), 0u);
}

TEST_F(ShippedWorkflowsTest, PollTrainsWaitsGatesAndDeploysBlueGreen) {
  replies_["loupe:countUntrainedImages"] = {
      TaskOutcome::Success({{"Untrained", 10}, {"TrainingInFlight", false}})};
  replies_["loupe:train"] = {TaskOutcome::Success({{"Version", "v2"}})};
  replies_["loupe:describeVersion"] = {TaskOutcome::Success({{"Status", "TRAINING_IN_PROGRESS"}}),
                                       TaskOutcome::Success({{"Status", "TRAINING_COMPLETED"}})};
  replies_["loupe:evaluate"] = {TaskOutcome::Success({{"F1", 0.91}, {"ChampionOk", true}})};
  replies_["loupe:switchEndpoint"] = {TaskOutcome::Success({{"Previous", "v1"}})};
  auto e = Run("training-poll", json::object());
  EXPECT_EQ(e.current_state, "WaitForTraining");
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Drain().current_state, "WaitForTraining");
  clock_.Advance(std::chrono::seconds(5));
  e = Drain();
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded) << e.error << " " << e.cause;
  EXPECT_EQ(Calls("loupe:startVersion"), 1u);
  EXPECT_EQ(calls_["loupe:startVersion"][0]["Version"], "v2");
  EXPECT_EQ(Calls("loupe:switchEndpoint"), 1u);
  EXPECT_EQ(Calls("loupe:stopVersion"), 1u);
  std::vector<std::string> types;
  for (const json& n : calls_["loupe:notify"]) types.push_back(n["Type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"TrainingStarted", "Deployed"}));
}

TEST_F(ShippedWorkflowsTest, GateFailsOnLowF1OrAgainstTheChampion) {
  replies_["loupe:countUntrainedImages"] = {
      TaskOutcome::Success({{"Untrained", 10}, {"TrainingInFlight", false}})};
  replies_["loupe:train"] = {TaskOutcome::Success({{"Version", "v2"}})};
  replies_["loupe:describeVersion"] = {TaskOutcome::Success({{"Status", "TRAINING_COMPLETED"}})};
  for (const json& gate :
       {json{{"F1", 0.79}, {"ChampionOk", true}}, json{{"F1", 0.95}, {"ChampionOk", false}}}) {
    replies_["loupe:evaluate"] = {TaskOutcome::Success(gate)};
    Run("training-poll", json::object());
    clock_.Advance(std::chrono::seconds(5));
    auto e = Drain();
    EXPECT_EQ(e.status, ExecutionStatus::kFailed);
    EXPECT_EQ(e.error, "Loupe.GateFailed");
    EXPECT_EQ(calls_["loupe:notify"].back()["Type"], "GateFailed");
  }
  EXPECT_EQ(Calls("loupe:startVersion"), 0u);
  // Minimum-F1-Score is read live: lowered, the same F1 passes.
  SetParam("Minimum-F1-Score", 0.75);
  replies_["loupe:evaluate"] = {TaskOutcome::Success({{"F1", 0.79}, {"ChampionOk", true}})};
  Run("training-poll", json::object());
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Drain().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(Calls("loupe:startVersion"), 1u);
}

TEST_F(ShippedWorkflowsTest, FailedTrainingIsNotifiedAndTrainingInFlightIsSkipped) {
  replies_["loupe:countUntrainedImages"] = {
      TaskOutcome::Success({{"Untrained", 10}, {"TrainingInFlight", false}})};
  replies_["loupe:train"] = {TaskOutcome::Failure("Loupe.TrainingInFlight", "v3 is training"),
                             TaskOutcome::Success({{"Version", "v4"}})};
  replies_["loupe:describeVersion"] = {TaskOutcome::Success({{"Status", "TRAINING_FAILED"}})};
  EXPECT_EQ(Run("training-poll", json::object()).status, ExecutionStatus::kSucceeded);
  auto e = Run("training-poll", json::object());
  clock_.Advance(std::chrono::seconds(5));
  e = Drain();
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.error, "Loupe.TrainingFailed");
  EXPECT_EQ(calls_["loupe:notify"].back()["Type"], "TrainingFailed");
  EXPECT_EQ(Calls("loupe:evaluate"), 0u);
}

TEST_F(ShippedWorkflowsTest, HumanAnswerIsFiledAndParameterChangeApplied) {
  EXPECT_EQ(Run("human-answer", {{"loop", "det-1"}}).status, ExecutionStatus::kSucceeded);
  ASSERT_EQ(Calls("loupe:fileHumanAnswer"), 1u);
  EXPECT_EQ(calls_["loupe:fileHumanAnswer"][0]["Loop"], "det-1");

  EXPECT_EQ(Run("parameter-change", {{"name", "Minimum-Inference-Units"}, {"new", 3}}).status,
            ExecutionStatus::kSucceeded);
  ASSERT_EQ(Calls("loupe:applyParameter"), 1u);
  EXPECT_EQ(calls_["loupe:applyParameter"][0]["Value"], 3);
  EXPECT_EQ(calls_["loupe:notify"].back()["Type"], "ParameterChanged");
}

}  // namespace
}  // namespace loupe::pipeline
