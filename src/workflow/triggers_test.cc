#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/sqlite_database.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/poll_scheduler.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;
using std::chrono::minutes;

class TriggersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(db::OpenSqlite((dir_.path() / "t.db").string())).value();
    events_ = std::move(events::EventLog::Open(*db_, clock_)).value();
    params_ = std::move(params::ParameterStore::Open(*db_, clock_, *events_)).value();
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

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<params::ParameterStore> params_;
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
  ASSERT_TRUE(router_->Start().ok());
  auto a = events_->Append(events::EventKind::kObjectCreated, {{"key", "images_for_detection/z"}});
  std::string id = "detect:detect-uploads-" + std::to_string(a->value());
  // Block on the engine's own log of progress: wait for the execution to exist.
  for (int i = 0; i < 400 && !engine_->GetExecution(id).ok(); ++i) {
    events_->WaitForNewer(*a, std::chrono::milliseconds(10));
  }
  router_->Stop();
  EXPECT_TRUE(engine_->GetExecution(id).ok());
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
