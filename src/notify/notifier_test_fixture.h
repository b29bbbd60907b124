#pragma once
// The NotifierTest fixture shared by the notify test files (tests only): a Notifier on a
// temp-dir SQLite database and a FakeClock, with short transport time-outs, and helpers to
// subscribe a webhook, publish a message and run the due deliveries. Not thread-safe.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "db/testing.h"
#include "notify/notifier.h"

namespace loupe::notify {

inline constexpr const char* kSecret = "a-webhook-secret-of-some-length";

// Not in an anonymous namespace: every test file's TEST_F(NotifierTest, ...) must share this
// one fixture type.
class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    options_.transport.connect_timeout = std::chrono::milliseconds(2000);
    options_.transport.total_timeout = std::chrono::milliseconds(5000);
    Reopen();
  }

  void Reopen() {
    notifier_.reset();
    auto n = Notifier::Open(*db_, clock_, options_);
    ASSERT_TRUE(n.ok()) << n.status();
    notifier_ = std::move(n).value();
  }

  Subscription SubscribeWebhook(const std::string& url, Topic topic = Topic::kOperator) {
    auto s = notifier_->Subscribe({topic, Protocol::kWebhook, url, kSecret, "tester"});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : Subscription{};
  }

  PublishResult PublishOne(const std::string& id = "", Topic topic = Topic::kOperator) {
    PublishRequest r;
    r.topic = topic;
    r.type = "TrainingSucceeded";
    r.subject = "Model v3 trained (F1 0.91)";
    r.detail = {{"version", "v3"}, {"f1", 0.91}};
    r.message_id = id;
    auto p = notifier_->Publish(r);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : PublishResult{};
  }

  int RunDue() {
    auto n = notifier_->RunDueDeliveries();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  int64_t NowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch())
        .count();
  }

  TempDir dir_;
  FakeClock clock_;
  NotifierOptions options_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Notifier> notifier_;
};

}  // namespace loupe::notify
