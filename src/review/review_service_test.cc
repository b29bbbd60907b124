#include "review/review_service.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/foundation.h"

namespace loupe::review {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// The foundation's store turns new objects into ObjectCreated events, as the app does.
class ReviewServiceTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->Put("images_for_detection/a.jpg", "image-a").ok());
    ASSERT_TRUE(store_->Put("images_for_detection/b.jpg", "image-b").ok());
    Reopen();
  }
  void Reopen(ReviewOptions options = {}) {
    service_.reset();
    service_ =
        std::move(ReviewService::Open(*db_, clock_, *store_, *events_, std::move(options))).value();
  }

  static LoopInput Input(const std::string& name, double confidence = 50, int tasks = 1,
                         const std::string& team = "default") {
    LoopInput in;
    in.name = name;
    in.image = "images_for_detection/a.jpg";
    in.choices = {"acme", "globex"};
    in.model_answer = {"acme", confidence};
    in.task_count = tasks;
    in.team = team;
    return in;
  }
  LoopInfo Create(const LoopInput& in) {
    auto r = service_->CreateLoop(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->loop : LoopInfo{};
  }
  static Caller Reviewer(const std::string& name, std::vector<std::string> teams = {"default"}) {
    return Caller{name, false, std::move(teams)};
  }
  TaskInfo Claim(const Caller& c) {
    auto t = service_->ClaimNext(c);
    EXPECT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(t.ok() && t->has_value()) << c.worker << " got no task";
    return t.ok() && t->has_value() ? **t : TaskInfo{};
  }
  bool QueueEmptyFor(const Caller& c) {
    auto t = service_->ClaimNext(c);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() && !t->has_value();
  }
  LoopInfo ClaimAndAnswer(const Caller& c, std::optional<std::string> label) {
    TaskInfo t = Claim(c);
    clock_.Advance(seconds(12));
    auto r = service_->Answer(t.task_id, c, label, false);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LoopInfo{};
  }
  std::vector<events::Event> Events(events::EventKind kind) {
    return events_->List(EventId(0), 1000, kind).value().events;
  }
  int ObjectEventsFor(const std::string& key) {
    int n = 0;
    for (const auto& e : Events(events::EventKind::kObjectCreated)) n += e.payload["key"] == key;
    return n;
  }

  std::unique_ptr<ReviewService> service_;
  const Caller operator_{"olivia", true, {}};
};

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

TEST_F(ReviewServiceTest, FilingIsExactlyOnceAcrossACrashBetweenCopyAndRecord) {
  Create(Input("loop-1", 40));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  const std::string key = "images_labeled_by_folder/acme/loop-1-a.jpg";
  Reopen({[] { return UnavailableError("crash after the copy"); }, nullptr});
  EXPECT_EQ(service_->FileAnswer("loop-1").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store_->Head(key).ok());
  EXPECT_TRUE(service_->ListFilings(10)->empty());
  Reopen();  // the restarted process runs the task again
  auto filed = service_->FileAnswer("loop-1");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_TRUE(filed->newly_filed);
  EXPECT_EQ(filed->key, key);
  EXPECT_EQ(filed->label, std::optional<std::string>("acme"));
  EXPECT_EQ(filed->workers, std::vector<std::string>{"ann"});
  auto again = service_->FileAnswer("loop-1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->newly_filed);
  EXPECT_EQ(again->key, key);
  EXPECT_EQ(service_->ListFilings(10)->size(), 1u);
  EXPECT_EQ(store_->List("images_labeled_by_folder/", "", 100)->objects.size(), 1u);
  EXPECT_EQ(store_->Get(key).value(), "image-a");
  EXPECT_EQ(ObjectEventsFor(key), 1);
}

TEST_F(ReviewServiceTest, NoneOfTheseFilesIntoTheNegativesFolder) {
  Create(Input("loop-1", 40));
  ClaimAndAnswer(Reviewer("ann"), std::nullopt);
  auto filed = service_->FileAnswer("loop-1");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->key, "images_labeled_by_folder/_none/loop-1-a.jpg");
  EXPECT_EQ(filed->label, std::nullopt);
  EXPECT_TRUE(store_->Head(filed->key).ok());
}

TEST_F(ReviewServiceTest, FilingNeedsACompletedLoop) {
  Create(Input("loop-1", 40));
  EXPECT_EQ(service_->FileAnswer("loop-1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->FileAnswer("nope").status().code(), StatusCode::kNotFound);
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
