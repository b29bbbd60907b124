// Completion of a decided loop: output.json's A2I shape, one HumanLoopCompleted event, and
// completions finished after a crash (restart) or a failure at run time (Sweep).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "review/testing.h"

namespace loupe::review {
namespace {

using nlohmann::json;
using std::chrono::seconds;

TEST_F(ReviewServiceTest, OutputJsonHasTheA2IShape) {
  Create(Input("loop-1", 40, 2));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  LoopInfo done = ClaimAndAnswer(Reviewer("bob"), "acme");
  ASSERT_EQ(done.status, LoopStatus::kCompleted);
  json out = json::parse(store_->Get("human_loops/loop-1/output.json").value());
  EXPECT_EQ(out["humanLoopName"], "loop-1");
  EXPECT_EQ(out["flowDefinitionArn"], "arn:loupe:review:::flow-definition/default");
  EXPECT_EQ(out["inputContent"]["Image"], "images_for_detection/a.jpg");
  EXPECT_EQ(out["inputContent"]["Choices"], json({"acme", "globex"}));
  EXPECT_EQ(out["inputContent"]["ModelAnswer"], json({{"Name", "acme"}, {"Confidence", 40.0}}));
  EXPECT_EQ(out["inputContent"]["TaskCount"], 2);
  ASSERT_EQ(out["humanAnswers"].size(), 2u);
  const json& a = out["humanAnswers"][0];
  EXPECT_EQ(a["answerContent"], json({{"Label", "acme"}}));
  EXPECT_EQ(a["workerId"], "ann");
  EXPECT_EQ(a["timeSpentInSeconds"], 12.0);
  EXPECT_TRUE(ParseRfc3339(a["submissionTime"].get<std::string>()).ok());
  EXPECT_TRUE(ParseRfc3339(a["acceptanceTime"].get<std::string>()).ok());
  EXPECT_EQ(ParseRfc3339(a["submissionTime"].get<std::string>()).value() -
                ParseRfc3339(a["acceptanceTime"].get<std::string>()).value(),
            seconds(12));
  EXPECT_EQ(out["humanAnswers"][1]["workerId"], "bob");
  EXPECT_EQ(out["consolidatedAnswer"]["Label"], "acme");
}

TEST_F(ReviewServiceTest, HumanLoopCompletedIsEmittedExactlyOnce) {
  Create(Input("loop-1", 40));
  ClaimAndAnswer(Reviewer("ann"), std::nullopt);
  ASSERT_TRUE(service_->Sweep().ok());
  Reopen();
  ASSERT_TRUE(service_->Sweep().ok());
  auto events = Events(events::EventKind::kHumanLoopCompleted);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, json({{"loop", "loop-1"}, {"label", nullptr}}));
  EXPECT_EQ(ObjectEventsFor("human_loops/loop-1/output.json"), 1);
}

TEST_F(ReviewServiceTest, ARestartFinishesAnInterruptedCompletion) {
  Reopen({nullptr, [] { return UnavailableError("crash after output.json"); }});
  Create(Input("loop-1", 40));
  TaskInfo t = Claim(Reviewer("ann"));
  // The answer is recorded; the completion stopped after output.json.
  auto answered = service_->Answer(t.task_id, Reviewer("ann"), "acme", false);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->status, LoopStatus::kInProgress);
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("ann"), "acme", false).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Events(events::EventKind::kHumanLoopCompleted).empty());
  std::string first = store_->Get("human_loops/loop-1/output.json").value();
  clock_.Advance(seconds(30));  // the output does not depend on when it is finished
  Reopen();
  LoopInfo loop = service_->GetLoop("loop-1", operator_).value();
  EXPECT_EQ(loop.status, LoopStatus::kCompleted);
  EXPECT_EQ(loop.label, std::optional<std::string>("acme"));
  EXPECT_EQ(Events(events::EventKind::kHumanLoopCompleted).size(), 1u);
  EXPECT_EQ(store_->Get("human_loops/loop-1/output.json").value(), first);
  EXPECT_EQ(ObjectEventsFor("human_loops/loop-1/output.json"), 1);
}

TEST_F(ReviewServiceTest, SweepFinishesACompletionThatFailedAtRunTime) {
  int failures = 1;
  Reopen({nullptr, [&failures] {
            return failures-- > 0 ? UnavailableError("store hiccup") : Status::Ok();
          }});
  Create(Input("loop-1", 40, 2));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  ClaimAndAnswer(Reviewer("bob"), std::nullopt);
  auto resolved = service_->ResolveLoop("loop-1", "acme", "olivia");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->status, LoopStatus::kEscalated);  // decided, not yet finished
  EXPECT_EQ(service_->ResolveLoop("loop-1", "globex", "olivia").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Events(events::EventKind::kHumanLoopCompleted).empty());
  ASSERT_TRUE(service_->Sweep().ok());
  LoopInfo loop = service_->GetLoop("loop-1", operator_).value();
  EXPECT_EQ(loop.status, LoopStatus::kCompleted);
  EXPECT_EQ(loop.label, std::optional<std::string>("acme"));
  EXPECT_EQ(loop.decided_by, "olivia");
  EXPECT_EQ(Events(events::EventKind::kHumanLoopCompleted).size(), 1u);
}

}  // namespace
}  // namespace loupe::review
