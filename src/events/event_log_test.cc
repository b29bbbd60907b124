#include "events/event_log.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/temp_dir.h"
#include "db/testing.h"

namespace loupe::events {
namespace {

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    log_ = std::move(EventLog::Open(*db_, clock_)).value();
  }
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, AppendsAndPagesInOrder) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(log_->Append(EventKind::kObjectCreated, {{"key", "k" + std::to_string(i)}}).ok());
    clock_.Advance(std::chrono::seconds(1));
  }
  auto page = log_->List(EventId(0), 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[0].payload["key"], "k0");
  EXPECT_EQ(page->events[2].payload["key"], "k2");
  EXPECT_EQ(page->events[1].time - page->events[0].time, std::chrono::seconds(1));
  auto rest = log_->List(page->next, 3);
  ASSERT_EQ(rest->events.size(), 2u);
  EXPECT_EQ(rest->events[1].payload["key"], "k4");
  auto none = log_->List(rest->next, 3);
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->next, rest->next);
}

TEST_F(EventLogTest, FiltersByKind) {
  ASSERT_TRUE(log_->Append(EventKind::kObjectCreated, {{"key", "a"}}).ok());
  ASSERT_TRUE(log_->Append(EventKind::kParameterChanged, {{"name", "x"}}).ok());
  auto page = log_->List(EventId(0), 10, EventKind::kParameterChanged);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].kind, EventKind::kParameterChanged);
}

TEST_F(EventLogTest, RolledBackAppendLeavesNoEvent) {
  Status s = db_->Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(log_->Append(tx, EventKind::kTrainingPollDue, {}).status());
    return AbortedError("abandon");
  });
  EXPECT_EQ(s, AbortedError("abandon"));
  EXPECT_TRUE(log_->List(EventId(0), 10)->events.empty());
  EXPECT_EQ(log_->LastId()->value(), 0);
}

TEST_F(EventLogTest, WaitForNewerWakesOnCommit) {
  EXPECT_FALSE(log_->WaitForNewer(EventId(0), std::chrono::milliseconds(0)));
  std::thread writer([&] { ASSERT_TRUE(log_->Append(EventKind::kTrainingPollDue, {}).ok()); });
  EXPECT_TRUE(log_->WaitForNewer(EventId(0), std::chrono::seconds(30)));
  writer.join();
}

TEST(EventKind, NamesRoundTrip) {
  // Every enumerator (dense from kObjectCreated to kHumanLoopCompleted) is in the table once.
  const std::vector<EventKind> kinds = kEventKindNames.Values();
  ASSERT_EQ(static_cast<int>(kinds.size()), static_cast<int>(EventKind::kHumanLoopCompleted) + 1);
  for (int i = 0; i < static_cast<int>(kinds.size()); ++i) {
    EXPECT_EQ(kinds[i], static_cast<EventKind>(i));
  }
  for (EventKind k : kinds) {
    Result<EventKind> parsed = ParseEventKind(EventKindName(k));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, k);
  }
  // The persisted names (events.kind).
  EXPECT_EQ(EventKindName(EventKind::kObjectCreated), "ObjectCreated");
  EXPECT_EQ(EventKindName(EventKind::kParameterChanged), "ParameterChanged");
  EXPECT_EQ(EventKindName(EventKind::kTrainingPollDue), "TrainingPollDue");
  EXPECT_EQ(EventKindName(EventKind::kHumanLoopCompleted), "HumanLoopCompleted");
  auto bogus = ParseEventKind("Bogus");
  EXPECT_EQ(bogus.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bogus.status().message().find("'Bogus'"), std::string::npos) << bogus.status();
}

}  // namespace
}  // namespace loupe::events
