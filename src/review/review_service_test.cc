// ReviewService's human loops: creation, consolidation outcomes as a loop sees them,
// expiry, stopping and team visibility.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "review/testing.h"

namespace loupe::review {
namespace {

using nlohmann::json;
using std::chrono::seconds;

TEST_F(ReviewServiceTest, CreateIsIdempotentByNameAndRefusesADifferentInput) {
  auto first = service_->CreateLoop(Input("loop-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->loop.status, LoopStatus::kInProgress);
  EXPECT_EQ(first->loop.expires, first->loop.created + seconds(kMaxAvailabilitySeconds));
  clock_.Advance(seconds(5));
  auto again = service_->CreateLoop(Input("loop-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->loop.created, first->loop.created);
  EXPECT_EQ(service_->CreateLoop(Input("loop-1", 51)).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(ReviewServiceTest, CreateValidatesImageLabelsAndCounts) {
  LoopInput in = Input("loop-1");
  in.image = "images_for_detection/missing.jpg";
  EXPECT_EQ(service_->CreateLoop(in).status().code(), StatusCode::kNotFound);
  const std::vector<std::string> bad_labels = {
      "a/b", "..x", "_none", "a\x01", std::string(101, 'x'), ""};
  for (const std::string& bad : bad_labels) {
    in = Input("loop-1");
    in.choices = {"acme", bad};
    EXPECT_EQ(service_->CreateLoop(in).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  in = Input("loop-1");
  in.choices = {"acme", "acme"};
  EXPECT_EQ(service_->CreateLoop(in).status().code(), StatusCode::kInvalidArgument);
  for (int n : {0, 6}) {
    EXPECT_EQ(service_->CreateLoop(Input("loop-1", 50, n)).status().code(),
              StatusCode::kInvalidArgument);
  }
  in = Input("loop-1");
  in.availability_seconds = kMaxAvailabilitySeconds + 1;
  EXPECT_EQ(service_->CreateLoop(in).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->CreateLoop(Input("Loop_1")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_->CreateLoop(Input("loop-1")).ok());
}

TEST_F(ReviewServiceTest, MajorityOfThreeCompletesTheLoop) {
  Create(Input("loop-1", 40, 3));
  EXPECT_EQ(ClaimAndAnswer(Reviewer("ann"), "acme").status, LoopStatus::kInProgress);
  EXPECT_EQ(ClaimAndAnswer(Reviewer("bob"), "globex").status, LoopStatus::kInProgress);
  LoopInfo done = ClaimAndAnswer(Reviewer("cy"), "acme");
  EXPECT_EQ(done.status, LoopStatus::kCompleted);
  EXPECT_EQ(done.label, std::optional<std::string>("acme"));
  EXPECT_EQ(done.decided_by, "majority");
  EXPECT_EQ(done.answers.size(), 3u);
  EXPECT_EQ(done.output_key, "human_loops/loop-1/output.json");
  EXPECT_TRUE(store_->Head(done.output_key).ok());
}

TEST_F(ReviewServiceTest, TieEscalatesUntilAnOperatorResolvesIt) {
  Create(Input("loop-1", 40, 2));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  LoopInfo tied = ClaimAndAnswer(Reviewer("bob"), std::nullopt);
  EXPECT_EQ(tied.status, LoopStatus::kEscalated);
  EXPECT_EQ(store_->Head("human_loops/loop-1/output.json").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Events(events::EventKind::kHumanLoopCompleted).empty());
  // Only Escalated loops can be resolved; an escalated loop does not expire.
  clock_.Advance(seconds(kMaxAvailabilitySeconds + 1));
  auto resolved = service_->ResolveLoop("loop-1", "globex", "olivia");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->status, LoopStatus::kCompleted);
  EXPECT_EQ(resolved->label, std::optional<std::string>("globex"));
  EXPECT_EQ(resolved->decided_by, "olivia");
  EXPECT_EQ(service_->ResolveLoop("loop-1", "acme", "olivia").status().code(),
            StatusCode::kFailedPrecondition);
  auto events = Events(events::EventKind::kHumanLoopCompleted);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, json({{"loop", "loop-1"}, {"label", "globex"}}));
}

TEST_F(ReviewServiceTest, ThreeDifferentAnswersEscalate) {
  Create(Input("loop-1", 40, 3));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  ClaimAndAnswer(Reviewer("bob"), "globex");
  EXPECT_EQ(ClaimAndAnswer(Reviewer("cy"), std::nullopt).status, LoopStatus::kEscalated);
}

TEST_F(ReviewServiceTest, LoopsPastTheirAvailabilityExpire) {
  LoopInput in = Input("loop-1");
  in.availability_seconds = 600;
  Create(in);
  Create(Input("loop-2"));
  TaskInfo t = Claim(Reviewer("ann"));
  ASSERT_EQ(t.loop_name, "loop-1");
  clock_.Advance(seconds(600));
  EXPECT_EQ(service_->GetLoop("loop-1", operator_)->status, LoopStatus::kExpired);
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("ann"), "acme", false).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Claim(Reviewer("bob")).loop_name, "loop-2");
  auto expired = service_->ListLoops(operator_, LoopStatus::kExpired, 100);
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].input.name, "loop-1");
  EXPECT_EQ(service_->StopLoop("loop-1").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ReviewServiceTest, SweepExpiresWithoutOtherAccess) {
  LoopInput in = Input("loop-1");
  in.availability_seconds = 10;
  Create(in);
  clock_.Advance(seconds(10));
  ASSERT_TRUE(service_->Sweep().ok());
  bool expired = false;
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) -> Status {
                   auto row = tx.QueryOne("SELECT status FROM review_loops");
                   expired = row.ok() && (*row)->Text(0) == "Expired";
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_TRUE(expired);
}

TEST_F(ReviewServiceTest, ReviewersSeeOnlyTheirTeamsLoops) {
  Create(Input("red-loop", 10, 1, "red"));
  Caller blue = Reviewer("bea", {"blue"});
  EXPECT_TRUE(QueueEmptyFor(blue));
  EXPECT_TRUE(QueueEmptyFor(Reviewer("nobody", {})));
  EXPECT_EQ(service_->GetLoop("red-loop", blue).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(service_->ListLoops(blue, std::nullopt, 100)->empty());
  EXPECT_EQ(service_->LoopImage("red-loop", blue).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->ImageByKey("images_for_detection/a.jpg", blue).status().code(),
            StatusCode::kNotFound);
  Caller red = Reviewer("rex", {"blue", "red"});
  TaskInfo t = Claim(red);
  EXPECT_EQ(service_->Answer(t.task_id, blue, "acme", false).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->LoopImage("red-loop", red).value(), "image-a");
  EXPECT_EQ(service_->ImageByKey("images_for_detection/a.jpg", red).value(), "image-a");
  EXPECT_EQ(service_->ImageByKey("images_for_detection/b.jpg", red).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->ListLoops(operator_, std::nullopt, 100)->size(), 1u);
}

TEST_F(ReviewServiceTest, StopWithdrawsTheTasks) {
  Create(Input("loop-1", 40));
  TaskInfo t = Claim(Reviewer("ann"));
  auto stopped = service_->StopLoop("loop-1");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status, LoopStatus::kStopped);
  EXPECT_TRUE(service_->StopLoop("loop-1").ok());
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("ann"), "acme", false).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(QueueEmptyFor(Reviewer("bob")));
  EXPECT_EQ(service_->StopLoop("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace loupe::review
