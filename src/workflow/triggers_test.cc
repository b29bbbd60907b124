#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include "support/foundation.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/poll_scheduler.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;
using std::chrono::minutes;

class TriggersTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    engine_ = std::move(Engine::Open(*db_, clock_, params_.get())).value();
    ASSERT_TRUE(engine_
                    ->LoadDefinition("detect", R"({"StartAt":"S","States":{
      "S":{"Type":"Pass","Parameters":{"key.$":"$.detail.key"},"End":true}}})")
                    .ok());
    router_ = std::move(EventRouter::Open(*db_, *events_, *engine_)).value();
    ASSERT_TRUE(router_
                    ->AddRule({"detect-uploads",
                               events::EventKind::kObjectCreated,
                               {{"key", FieldCondition::Op::kPrefix, "images_for_detection/"}},
                               "detect"})
                    .ok());
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventRouter> router_;
};

TEST(RuleMatches, KindAndFieldConditions) {
  RoutingRule rule{"r",
                   events::EventKind::kObjectCreated,
                   {{"key", FieldCondition::Op::kPrefix, "images_for_detection/"},
                    {"key", FieldCondition::Op::kSuffix, ".jpg"},
                    {"size", FieldCondition::Op::kExists, true}},
                   "m"};
  events::Event e{EventId(1),
                  events::EventKind::kObjectCreated,
                  {{"key", "images_for_detection/a.jpg"}, {"size", 3}},
                  TimePoint()};
  EXPECT_TRUE(RuleMatches(rule, e));
  e.payload["key"] = "images_labeled_by_folder/x/a.jpg";
  EXPECT_FALSE(RuleMatches(rule, e));
  e.payload["key"] = "images_for_detection/a.png";
  EXPECT_FALSE(RuleMatches(rule, e));
  e.payload = {{"key", "images_for_detection/a.jpg"}};
  EXPECT_FALSE(RuleMatches(rule, e));
  e.kind = events::EventKind::kParameterChanged;
  RoutingRule eq{"q",
                 events::EventKind::kParameterChanged,
                 {{"name", FieldCondition::Op::kEquals, "Minimum-F1-Score"}},
                 "m"};
  e.payload = {{"name", "Minimum-F1-Score"}};
  EXPECT_TRUE(RuleMatches(eq, e));
  EXPECT_FALSE(RuleMatches(rule, e));
}

TEST_F(TriggersTest, MatchingEventsStartOneExecutionEachEvenWhenRedelivered) {
  auto a =
      events_->Append(events::EventKind::kObjectCreated, {{"key", "images_for_detection/a.jpg"}});
  ASSERT_TRUE(events_->Append(events::EventKind::kObjectCreated, {{"key", "other/b.jpg"}}).ok());
  EXPECT_EQ(*router_->DispatchPending(), 1);
  EXPECT_EQ(*router_->DispatchPending(), 0);
  // Re-delivery (e.g. the cursor rolled back by a crash) starts nothing new.
  ASSERT_TRUE(db_->Write([](db::Transaction& tx) {
                   return tx.Exec("UPDATE wf_cursors SET last_event_id = 0").status();
                 })
                  .ok());
  EXPECT_EQ(*router_->DispatchPending(), 0);
  ASSERT_TRUE(engine_->RunUntilIdle().ok());
  auto e = engine_->GetExecution("detect:detect-uploads-" + std::to_string(a->value()));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e->output, json({{"key", "images_for_detection/a.jpg"}}));
  EXPECT_EQ(engine_->ListExecutions({})->size(), 1u);
}

TEST_F(TriggersTest, RouterThreadFollowsTheLog) {
  // The router's thread starts the execution, the engine's workers run it, and its task tells
  // the test: one wait with a deadline on that, no polling. Shared state, as the handler may
  // outlive this scope if an assertion returns early (the fixture stops the engine later).
  struct Ran {
    std::promise<json> input;
    std::atomic<bool> told{false};
  };
  auto ran = std::make_shared<Ran>();
  std::future<json> task_input = ran->input.get_future();
  engine_->RegisterHandler("test:tell", [ran](const json& in, const TaskContext&) {
    if (!ran->told.exchange(true)) ran->input.set_value(in);
    return TaskOutcome::Success(json::object());
  });
  ASSERT_TRUE(engine_
                  ->LoadDefinition("detect", R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"test:tell","Parameters":{"key.$":"$.detail.key"},"End":true}}})")
                  .ok());
  ASSERT_TRUE(engine_->Start().ok());
  ASSERT_TRUE(router_->Start().ok());
  auto a = events_->Append(events::EventKind::kObjectCreated, {{"key", "images_for_detection/z"}});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(task_input.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "the router did not start an execution for event " << a->value();
  EXPECT_EQ(task_input.get(), json({{"key", "images_for_detection/z"}}));
  router_->Stop();
  engine_->Stop();
  auto e = engine_->GetExecution("detect:detect-uploads-" + std::to_string(a->value()));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->input["detail"]["key"], "images_for_detection/z");
}

TEST_F(TriggersTest, PollScheduleFollowsParametersAndSurvivesRestart) {
  auto sched = std::move(PollScheduler::Open(*db_, clock_, *params_, *events_)).value();
  // Default: enabled, every 600 minutes.
  EXPECT_EQ(**sched->NextDue(), clock_.Now() + minutes(600));
  EXPECT_FALSE(*sched->Tick());
  clock_.Advance(minutes(600));
  EXPECT_TRUE(*sched->Tick());
  EXPECT_FALSE(*sched->Tick());
  auto polls = events_->List(EventId(0), 100, events::EventKind::kTrainingPollDue);
  EXPECT_EQ(polls->events.size(), 1u);
  // A new frequency re-arms from now.
  clock_.Advance(minutes(5));
  ASSERT_TRUE(params_->Set(params::kTrainingPollFrequency, 30, "test").ok());
  EXPECT_EQ(**sched->NextDue(), clock_.Now() + minutes(30));
  // Disabled: no polls at all.
  ASSERT_TRUE(params_->Set(params::kEnableAutomaticTraining, false, "test").ok());
  EXPECT_FALSE(sched->NextDue()->has_value());
  clock_.Advance(minutes(1000));
  EXPECT_FALSE(*sched->Tick());
  ASSERT_TRUE(params_->Set(params::kEnableAutomaticTraining, true, "test").ok());
  TimePoint due = **sched->NextDue();
  EXPECT_EQ(due, clock_.Now() + minutes(30));
  // A restart keeps the stored due time.
  sched.reset();
  clock_.Advance(minutes(10));
  auto again = std::move(PollScheduler::Open(*db_, clock_, *params_, *events_)).value();
  EXPECT_EQ(**again->NextDue(), due);
  // The destroyed scheduler's listener is inert; the live one re-arms.
  ASSERT_TRUE(params_->Set(params::kTrainingPollFrequency, 60, "test").ok());
  EXPECT_EQ(**again->NextDue(), clock_.Now() + minutes(60));
}

}  // namespace
}  // namespace loupe::workflow
