// Notifier: publishing (idempotent, transactional, by topic), subscriptions and message
// validation, against a real webhook receiver on loopback, driven by a FakeClock.

#include "notify/notifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "notify/notifier_test_fixture.h"
#include "notify/testing.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using testing::WebhookReceiver;

TEST_F(NotifierTest, InvalidSubscriptionsAreRefused) {
  auto bad_url = notifier_->Subscribe(
      {Topic::kOperator, Protocol::kWebhook, "https://u:p@example.com/", kSecret, "t"});
  EXPECT_EQ(bad_url.status().code(), StatusCode::kInvalidArgument);
  auto short_secret = notifier_->Subscribe(
      {Topic::kOperator, Protocol::kWebhook, "https://example.com/", "short", "t"});
  EXPECT_EQ(short_secret.status().code(), StatusCode::kInvalidArgument);
  // No SMTP server configured: e-mail subscriptions are refused with the reason.
  auto email =
      notifier_->Subscribe({Topic::kConsumer, Protocol::kEmail, "ops@example.com", "", "t"});
  EXPECT_EQ(email.status().code(), StatusCode::kFailedPrecondition);
  SubscribeWebhook("https://example.com/");
  auto dup = notifier_->Subscribe(
      {Topic::kOperator, Protocol::kWebhook, "https://example.com/", kSecret, "t"});
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(notifier_->ListSubscriptions()->size(), 1U);
}

TEST_F(NotifierTest, SameMessageIdPublishesOnce) {
  WebhookReceiver receiver;
  SubscribeWebhook(receiver.Url());
  PublishResult first = PublishOne("exec-42/Notify/1");
  PublishResult again = PublishOne("exec-42/Notify/1");
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.deliveries, 0);
  EXPECT_EQ(again.message.sequence, first.message.sequence);
  EXPECT_EQ(again.message.id, "exec-42/Notify/1");
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_EQ(notifier_->ListMessages(0, 100)->messages.size(), 1U);
}

TEST_F(NotifierTest, PublishInARolledBackTransactionLeavesNothing) {
  WebhookReceiver receiver;
  SubscribeWebhook(receiver.Url());
  Status s = db_->Write([&](db::Transaction& tx) -> Status {
    PublishRequest r{Topic::kOperator, "TrainingStarted", "Training v4", json::object(), ""};
    auto p = notifier_->Publish(tx, r);
    EXPECT_TRUE(p.ok());
    return AbortedError("the caller's change failed");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(RunDue(), 0);
  EXPECT_TRUE(notifier_->ListMessages(0, 100)->messages.empty());
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(NotifierTest, OnlyTheTopicsSubscribersGetIt) {
  WebhookReceiver ops;
  WebhookReceiver consumers;
  SubscribeWebhook(ops.Url(), Topic::kOperator);
  SubscribeWebhook(consumers.Url(), Topic::kConsumer);
  PublishOne("", Topic::kConsumer);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_TRUE(ops.requests().empty());
  EXPECT_EQ(consumers.requests().size(), 1U);
  auto page = notifier_->ListMessages(0, 10, Topic::kOperator);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->messages.empty());
  EXPECT_EQ(notifier_->ListMessages(0, 10, Topic::kConsumer)->messages.size(), 1U);
}

TEST_F(NotifierTest, UnsubscribeDropsPendingDeliveries) {
  WebhookReceiver receiver;
  Subscription sub = SubscribeWebhook(receiver.Url());
  PublishOne();
  ASSERT_TRUE(notifier_->Unsubscribe(sub.id).ok());
  EXPECT_EQ(notifier_->Unsubscribe(sub.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(RunDue(), 0);
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_TRUE(notifier_->ListSubscriptions()->empty());
}

TEST_F(NotifierTest, InvalidMessagesAreRefused) {
  for (PublishRequest r : std::vector<PublishRequest>{
           {Topic::kOperator, "", "s", json::object(), ""},
           {Topic::kOperator, "Bad Type", "s", json::object(), ""},
           {Topic::kOperator, "T", "", json::object(), ""},
           {Topic::kOperator, "T", "two\nlines", json::object(), ""},
           {Topic::kOperator, "T", "s", json::array(), ""},
           {Topic::kOperator, "T", "s", json::object(), std::string(300, 'x')},
       }) {
    EXPECT_EQ(notifier_->Publish(r).status().code(), StatusCode::kInvalidArgument)
        << r.type << "/" << r.subject;
  }
  PublishRequest messy{Topic::kOperator, "GateFailed",
                       "line one\nline two " + std::string(300, 'y'), json::array({1, 2}), ""};
  PublishRequest clean = Sanitized(messy);
  EXPECT_TRUE(ValidatePublishRequest(clean).ok());
  EXPECT_EQ(clean.subject.substr(0, 18), "line one line two ");
  EXPECT_EQ(clean.subject.size(), 200U);
  EXPECT_EQ(clean.detail["Value"], json::array({1, 2}));
  EXPECT_EQ(Sanitized({Topic::kOperator, "Deployed", "", json::object(), ""}).subject, "Deployed");
  auto parsed = ParsePublishRequest({{"Topic", "everyone"}, {"Type", "T"}, {"Subject", "s"}});
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  parsed = ParsePublishRequest(
      {{"Topic", "operator"}, {"Type", "Deployed"}, {"Subject", "v2"}, {"Detail", {{"v", 2}}}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->detail["v"], 2);
}

}  // namespace
}  // namespace loupe::notify
