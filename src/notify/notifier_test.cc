// Notifier: publishing, subscriptions, webhook and e-mail delivery with retries and dead
// letters, against a real webhook receiver and SMTP sink on loopback, driven by a FakeClock.

#include "notify/notifier.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/temp_dir.h"
#include "db/sqlite_database.h"
#include "notify/signature.h"
#include "notify/targets.h"
#include "notify/testing.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::SmtpSink;
using testing::WebhookReceiver;

constexpr const char* kSecret = "a-webhook-secret-of-some-length";

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(db::OpenSqlite((dir_.path() / "n.db").string())).value();
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
    return std::chrono::duration_cast<seconds>(clock_.Now().time_since_epoch()).count();
  }

  TempDir dir_;
  FakeClock clock_;
  NotifierOptions options_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Notifier> notifier_;
};

TEST(SignatureTest, HmacMatchesRfc4231Vector) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureTest, VerifiesOwnSignatureAndRejectsTampering) {
  std::string sig = SignWebhook("secret-secret-secret", "1700000000", R"({"a":1})");
  EXPECT_EQ(sig.rfind("sha256=", 0), 0U);
  EXPECT_TRUE(VerifyWebhookSignature("secret-secret-secret", "1700000000", R"({"a":1})", sig));
  EXPECT_FALSE(VerifyWebhookSignature("secret-secret-secret", "1700000001", R"({"a":1})", sig));
  EXPECT_FALSE(VerifyWebhookSignature("secret-secret-secret", "1700000000", R"({"a":2})", sig));
  EXPECT_FALSE(VerifyWebhookSignature("other-secret-secret!", "1700000000", R"({"a":1})", sig));
}

TEST(TargetsTest, WebhookUrlRules) {
  EXPECT_TRUE(ValidateWebhookUrl("https://hooks.example.com/loupe?x=1").ok());
  EXPECT_TRUE(ValidateWebhookUrl("http://127.0.0.1:8080/hook").ok());
  for (const char* bad :
       {"", "ftp://example.com/x", "file:///etc/passwd", "https://user:pw@example.com/",
        "https://user@example.com/", "http://:pw@example.com/", "http:///path-only",
        "https://exa mple.com/", "example.com/hook", "https://example.com/\r\nX: y"}) {
    EXPECT_EQ(ValidateWebhookUrl(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  Status too_long = ValidateWebhookUrl("https://example.com/" + std::string(2100, 'a'));
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("longer than 2048"), std::string::npos) << too_long;
}

TEST(TargetsTest, EmailAddressRules) {
  EXPECT_TRUE(ValidateEmailAddress("ops@example.com").ok());
  for (const char* bad : {"", "ops", "@example.com", "ops@", "a b@example.com",
                          "ops@example.com\r\nBcc: x@y", "<ops@example.com>", "ops@.example"}) {
    EXPECT_EQ(ValidateEmailAddress(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

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

// A loopback port that accepts connections (the kernel's backlog) but never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  // Waits until a client connected (a connection is queued), or `timeout` passed.
  bool WaitForConnection(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

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
  auto db = std::move(db::OpenSqlite((dir.path() / "c.db").string())).value();
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

TEST_F(NotifierTest, EmailGoesToTheSmtpServer) {
  SmtpSink sink;
  options_.transport.smtp = {sink.Url(), "loupe@example.com", "", ""};
  Reopen();
  auto sub =
      notifier_->Subscribe({Topic::kConsumer, Protocol::kEmail, "ops@example.org", "", "tester"});
  ASSERT_TRUE(sub.ok()) << sub.status();
  PublishRequest r;
  r.topic = Topic::kConsumer;
  r.type = "DetectionBelowThreshold";
  r.subject = "Détection sous le seuil: photo.jpg";  // not ASCII: RFC 2047 encoded
  r.detail = {{"key", "images_for_detection/photo.jpg"}, {"confidence", 42.5}};
  ASSERT_TRUE(notifier_->Publish(r).ok());
  EXPECT_EQ(RunDue(), 1);

  auto mails = sink.mails();
  ASSERT_EQ(mails.size(), 1U);
  EXPECT_EQ(mails[0].from, "<loupe@example.com>");
  ASSERT_EQ(mails[0].rcpt.size(), 1U);
  EXPECT_EQ(mails[0].rcpt[0], "<ops@example.org>");
  const std::string& data = mails[0].data;
  EXPECT_NE(data.find("From: <loupe@example.com>\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("To: <ops@example.org>\r\n"), std::string::npos);
  EXPECT_NE(data.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(data.find("Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(data.find("Message-ID: <loupe-1-" + std::to_string(sub->id) + "@example.com>\r\n"),
            std::string::npos);
  EXPECT_NE(data.find("\r\n\r\n"), std::string::npos);  // header/body separator
  EXPECT_NE(data.find("images_for_detection/photo.jpg"), std::string::npos);
  EXPECT_NE(data.find("Type:       DetectionBelowThreshold"), std::string::npos);
  EXPECT_EQ(notifier_->CountDeliveries()->delivered, 1);
}

TEST_F(NotifierTest, AsciiSubjectIsPlainInTheEmail) {
  Message m{7,           "m-1", Topic::kOperator, "Deployed", "Version v2 deployed", json::object(),
            clock_.Now()};
  std::string mail = BuildEmail(m, "loupe@example.com", "ops@example.org", 3, clock_.Now());
  EXPECT_NE(mail.find("Subject: [loupe] Version v2 deployed\r\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("Message-ID: <loupe-7-3@example.com>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("X-Loupe-Message-Id: m-1\r\n"), std::string::npos);
  // No bare LF anywhere: every line ends in CRLF.
  for (size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') {
      ASSERT_TRUE(i > 0 && mail[i - 1] == '\r') << "bare LF at " << i;
    }
  }
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

TEST(NotifierWorkersTest, WorkersDeliverWhenAMessageIsPublished) {
  TempDir dir;
  SystemClock clock;
  auto db = std::move(db::OpenSqlite((dir.path() / "w.db").string())).value();
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
