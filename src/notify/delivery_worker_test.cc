// Webhook delivery: the signature scheme, retries with back-off, dead letters and
// redelivery, failures (redirects, unreachable and silent endpoints), restarts, expired
// claims and the worker threads; against a real webhook receiver on loopback, driven by a
// FakeClock.

#include <gtest/gtest.h>

#include <chrono>

#include "db/testing.h"
#include "notify/notifier_test_fixture.h"
#include "notify/signature.h"
#include "notify/testing.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::SilentListener;
using testing::WebhookReceiver;

TEST_F(NotifierTest, WebhookIsSignedWithTheDocumentedScheme) {
  WebhookReceiver receiver;
  SubscribeWebhook(receiver.Url());
  PublishResult published = PublishOne();
  EXPECT_TRUE(published.created);
  EXPECT_EQ(published.deliveries, 1);
  EXPECT_EQ(RunDue(), 1);

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  const auto& r = requests[0];
  EXPECT_EQ(r.path, "/hook");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("x-loupe-message-id"), published.message.id);
  EXPECT_EQ(r.headers.at("x-loupe-timestamp"), std::to_string(NowSeconds()));
  // What a receiver does: HMAC-SHA256(secret, timestamp + "." + raw body), hex, "sha256=".
  std::string expected =
      "sha256=" + HmacSha256Hex(kSecret, r.headers.at("x-loupe-timestamp") + "." + r.body);
  EXPECT_EQ(r.headers.at("x-loupe-signature"), expected);
  json body = json::parse(r.body);
  EXPECT_EQ(body["MessageId"], published.message.id);
  EXPECT_EQ(body["Topic"], "operator");
  EXPECT_EQ(body["Type"], "TrainingSucceeded");
  EXPECT_EQ(body["Subject"], "Model v3 trained (F1 0.91)");
  EXPECT_EQ(body["Detail"]["version"], "v3");
  EXPECT_EQ(body["Time"], FormatRfc3339(clock_.Now()));

  auto counts = notifier_->CountDeliveries();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(RunDue(), 0);  // delivered once, never again
}

TEST_F(NotifierTest, RetriesWithExponentialBackoffThenDeadLetterThenRedeliver) {
  WebhookReceiver receiver;
  receiver.Answer(500);
  SubscribeWebhook(receiver.Url());
  PublishOne();
  int64_t t0 = NowSeconds();
  EXPECT_EQ(RunDue(), 1);
  // Attempt n+1 comes 5 s * 2^(n-1) after attempt n; nothing is due in between.
  const std::vector<int64_t> delays = {5, 10, 20, 40, 80, 160, 320};
  for (int64_t delay : delays) {
    clock_.Advance(seconds(delay - 1));
    EXPECT_EQ(RunDue(), 0) << "early by 1 s before the " << delay << " s retry";
    clock_.Advance(seconds(1));
    EXPECT_EQ(RunDue(), 1) << "the " << delay << " s retry";
  }
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 8U);
  std::vector<int64_t> expected_times = {t0};
  for (int64_t delay : delays) expected_times.push_back(expected_times.back() + delay);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].headers.at("x-loupe-timestamp"), std::to_string(expected_times[i]))
        << "attempt " << i + 1;
  }
  // Eight attempts used: a dead letter, and no further attempts however long we wait.
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(RunDue(), 0);
  auto dead = notifier_->ListDeadLetters(0, 100);
  ASSERT_TRUE(dead.ok()) << dead.status();
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_EQ((*dead)[0].attempts, 8);
  EXPECT_NE((*dead)[0].last_error.find("500"), std::string::npos) << (*dead)[0].last_error;
  EXPECT_EQ((*dead)[0].subscription.endpoint, receiver.Url());

  receiver.Answer(204);
  ASSERT_TRUE(notifier_->Redeliver((*dead)[0].id).ok());
  EXPECT_EQ(notifier_->Redeliver((*dead)[0].id).code(), StatusCode::kNotFound);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(receiver.requests().size(), 9U);
  EXPECT_TRUE(notifier_->ListDeadLetters(0, 100)->empty());
  EXPECT_EQ(notifier_->CountDeliveries()->delivered, 1);
}

TEST_F(NotifierTest, RedirectIsNotFollowedAndCountsAsFailure) {
  options_.max_attempts = 1;
  Reopen();
  WebhookReceiver receiver;
  receiver.Answer(302, receiver.Url("/elsewhere"));
  SubscribeWebhook(receiver.Url());
  PublishOne();
  EXPECT_EQ(RunDue(), 1);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].path, "/hook");
  auto dead = notifier_->ListDeadLetters(0, 100);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_NE((*dead)[0].last_error.find("302"), std::string::npos) << (*dead)[0].last_error;
  EXPECT_NE((*dead)[0].last_error.find("redirect"), std::string::npos);
}

TEST_F(NotifierTest, UnreachableWebhookIsRetried) {
  std::string url;
  {
    WebhookReceiver gone;
    url = gone.Url();
  }  // nothing listens there any more
  SubscribeWebhook(url);
  PublishOne();
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(notifier_->CountDeliveries()->pending, 1);
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(seconds(5));
  EXPECT_EQ(RunDue(), 1);
}

TEST_F(NotifierTest, SilentEndpointTimesOutAndCountsAsFailure) {
  options_.max_attempts = 1;
  options_.transport.total_timeout = std::chrono::milliseconds(300);
  Reopen();
  SilentListener silent;
  SubscribeWebhook(silent.Url());
  PublishOne();
  EXPECT_EQ(RunDue(), 1);
  auto dead = notifier_->ListDeadLetters(0, 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_NE((*dead)[0].last_error.find("imed out"), std::string::npos) << (*dead)[0].last_error;
}

TEST(NotifierWorkersTest, StopCancelsAnAttemptInFlightWithoutCountingIt) {
  TempDir dir;
  SystemClock clock;
  auto db = db::testing::OpenTestDatabase(dir.path());
  NotifierOptions options;
  options.transport.total_timeout = std::chrono::seconds(60);
  auto notifier = std::move(Notifier::Open(*db, clock, options)).value();
  SilentListener silent;
  ASSERT_TRUE(
      notifier->Subscribe({Topic::kOperator, Protocol::kWebhook, silent.Url(), kSecret, "t"}).ok());
  ASSERT_TRUE(notifier->Start().ok());
  ASSERT_TRUE(notifier->Publish(Topic::kOperator, "Deployed", "v2 is live").ok());
  ASSERT_TRUE(silent.WaitForConnection(std::chrono::seconds(20)));  // the attempt is in flight
  notifier->Stop();  // would wait out the 60 s time-out if the attempt were not cancelled
  int64_t attempts = -1;
  int64_t next_ms = 0;
  ASSERT_TRUE(db->Read([&](db::Transaction& tx) -> Status {
                  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT attempts, next_attempt_ms, state "
                                                         "FROM notify_deliveries"));
                  attempts = row->Int(0);
                  next_ms = row->Int(1);
                  EXPECT_EQ(row->Text(2), "pending");
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(attempts, 0);
  // Released, not left claimed: due at once after a restart.
  EXPECT_LE(next_ms, ToUnixMillis(clock.Now()));
}

TEST_F(NotifierTest, QueuedDeliveryIsSentAfterARestart) {
  WebhookReceiver receiver;
  SubscribeWebhook(receiver.Url());
  PublishResult published = PublishOne();
  // The process ends before any worker ran; a new one opens the same database.
  Reopen();
  EXPECT_EQ(RunDue(), 1);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("x-loupe-message-id"), published.message.id);
}

TEST_F(NotifierTest, ClaimedButUnfinishedDeliveryIsRetriedAfterTheClaimExpires) {
  WebhookReceiver receiver;
  SubscribeWebhook(receiver.Url());
  PublishOne();
  // Simulate a crash between claiming and recording: the claim moved next_attempt_ms ahead.
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) -> Status {
                   return tx
                       .Exec("UPDATE notify_deliveries SET next_attempt_ms = ?",
                             {ToUnixMillis(clock_.Now() + options_.claim)})
                       .status();
                 })
                  .ok());
  Reopen();
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(options_.claim);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(receiver.requests().size(), 1U);
}

TEST(NotifierWorkersTest, WorkersDeliverWhenAMessageIsPublished) {
  TempDir dir;
  SystemClock clock;
  auto db = db::testing::OpenTestDatabase(dir.path());
  auto notifier = std::move(Notifier::Open(*db, clock)).value();
  WebhookReceiver receiver;
  ASSERT_TRUE(
      notifier->Subscribe({Topic::kOperator, Protocol::kWebhook, receiver.Url(), kSecret, "tester"})
          .ok());
  ASSERT_TRUE(notifier->Start().ok());
  ASSERT_TRUE(notifier->Publish(Topic::kOperator, "Deployed", "v2 is live").ok());
  // The worker wakes on publish; wait for the receiver with a deadline.
  EXPECT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(20)));
  EXPECT_EQ(receiver.requests().size(), 1U);
  notifier->Stop();
}

}  // namespace
}  // namespace loupe::notify
