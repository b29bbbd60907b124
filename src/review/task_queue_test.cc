// ReviewService's task queue: leases, release, order, one loop per reviewer, concurrent
// claims, and answers with new labels.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "review/testing.h"

namespace loupe::review {
namespace {

using std::chrono::seconds;

TEST_F(ReviewServiceTest, AnExpiredLeaseReturnsTheTaskAndRefusesTheOldClaimant) {
  LoopInput in = Input("loop-1");
  in.task_time_limit_seconds = 60;
  Create(in);
  TaskInfo t = Claim(Reviewer("ann"));
  EXPECT_EQ(t.expires, clock_.Now() + seconds(60));
  EXPECT_TRUE(QueueEmptyFor(Reviewer("bob")));  // leased to ann
  clock_.Advance(seconds(61));
  // ann's own answer after expiry: DeadlineExceeded (410 over HTTP).
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("ann"), "acme", false).status().code(),
            StatusCode::kDeadlineExceeded);
  TaskInfo again = Claim(Reviewer("bob"));
  EXPECT_EQ(again.task_id, t.task_id);
  // Now bob holds it: ann is refused, bob answers.
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("ann"), "acme", false).status().code(),
            StatusCode::kFailedPrecondition);
  auto done = service_->Answer(t.task_id, Reviewer("bob"), "globex", false);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, LoopStatus::kCompleted);
  ASSERT_EQ(done->answers.size(), 1u);
  EXPECT_EQ(done->answers[0].worker, "bob");
  EXPECT_EQ(service_->Answer(t.task_id, Reviewer("bob"), "globex", false).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ReviewServiceTest, ReleaseReturnsTheTaskToOthersButNotToTheReleaser) {
  Create(Input("loop-1"));
  TaskInfo t = Claim(Reviewer("ann"));
  EXPECT_EQ(service_->Release(t.task_id, Reviewer("bob")).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(service_->Release(t.task_id, Reviewer("ann")).ok());
  EXPECT_TRUE(QueueEmptyFor(Reviewer("ann")));
  EXPECT_EQ(Claim(Reviewer("bob")).task_id, t.task_id);
}

TEST_F(ReviewServiceTest, QueueIsOrderedByConfidenceThenAge) {
  Create(Input("sure", 90));
  clock_.Advance(seconds(1));
  Create(Input("unsure-old", 20));
  clock_.Advance(seconds(1));
  Create(Input("unsure-new", 20));
  clock_.Advance(seconds(1));
  Create(Input("middle", 55.5));
  Caller ann = Reviewer("ann");
  EXPECT_EQ(Claim(ann).loop_name, "unsure-old");
  EXPECT_EQ(Claim(ann).loop_name, "unsure-new");
  EXPECT_EQ(Claim(ann).loop_name, "middle");
  EXPECT_EQ(Claim(ann).loop_name, "sure");
  EXPECT_TRUE(QueueEmptyFor(ann));
}

TEST_F(ReviewServiceTest, AReviewerNeverGetsTheSameLoopTwice) {
  Create(Input("loop-1", 10, 3));
  Caller ann = Reviewer("ann");
  TaskInfo t = Claim(ann);
  EXPECT_TRUE(QueueEmptyFor(ann));  // not a second task of the same loop
  ASSERT_TRUE(service_->Answer(t.task_id, ann, "acme", false).ok());
  EXPECT_TRUE(QueueEmptyFor(ann));  // nor a loop already answered
  auto stats = service_->Stats(ann);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queue_length, 0);
  EXPECT_EQ(stats->done_today, 1);
  EXPECT_EQ(stats->done_total, 1);
  EXPECT_EQ(service_->Stats(Reviewer("bob"))->queue_length, 1);
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(service_->Stats(ann)->done_today, 0);
  EXPECT_EQ(service_->Stats(ann)->done_total, 1);
  TaskInfo b = Claim(Reviewer("bob"));
  EXPECT_NE(b.task_id, t.task_id);
  EXPECT_EQ(b.loop_name, "loop-1");
}

TEST_F(ReviewServiceTest, ConcurrentReviewersNeverShareATask) {
  for (int i = 0; i < 6; ++i) Create(Input("loop-" + std::to_string(i), 10.0 * i, 2));
  std::mutex mu;
  std::multiset<std::string> tasks;
  std::set<std::pair<std::string, std::string>> loops_of_worker;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      Caller c = Reviewer("worker-" + std::to_string(w));
      for (;;) {
        auto t = service_->ClaimNext(c);
        ASSERT_TRUE(t.ok()) << t.status();
        if (!t->has_value()) return;
        std::lock_guard<std::mutex> lock(mu);
        tasks.insert((*t)->task_id);
        EXPECT_TRUE(loops_of_worker.insert({c.worker, (*t)->loop_name}).second);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(tasks.size(), 12u);  // every task claimed exactly once
  EXPECT_EQ(std::set<std::string>(tasks.begin(), tasks.end()).size(), 12u);
}

TEST_F(ReviewServiceTest, NewLabelsAreRefusedUnlessTheOperatorAllowsThem) {
  Create(Input("loop-1", 40));
  Caller ann = Reviewer("ann");
  TaskInfo t = Claim(ann);
  EXPECT_EQ(service_->Answer(t.task_id, ann, "initech", false).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Answer(t.task_id, ann, "initech", true).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(service_->Settings()->allow_new_labels);
  ASSERT_TRUE(service_->SetSettings({true}).ok());
  EXPECT_TRUE(service_->Settings()->allow_new_labels);
  EXPECT_EQ(service_->Answer(t.task_id, ann, "_bad", true).status().code(),
            StatusCode::kInvalidArgument);
  auto done = service_->Answer(t.task_id, ann, "initech", true);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->label, std::optional<std::string>("initech"));
  ASSERT_EQ(done->answers.size(), 1u);
  EXPECT_TRUE(done->answers[0].new_label);
  EXPECT_EQ(service_->FileAnswer("loop-1")->key, "images_labeled_by_folder/initech/loop-1-a.jpg");
}

}  // namespace
}  // namespace loupe::review
