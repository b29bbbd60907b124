// The notification routes through the real HttpServer on a loopback port: subscriptions
// (validation, secrets never returned), the feed, dead letters, and the SSE live feed
// (connect, publish, read the event; resume with Last-Event-ID; shutdown with a stream open).

#include "notify/http/notify_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/temp_dir.h"
#include "db/testing.h"
#include "notify/testing.h"
#include "server/fixed_authenticator.h"
#include "server/http_client.h"
#include "server/http_server.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using server::ClientResponse;
using server::FixedAuthenticator;
using server::HttpClient;
using server::HttpServer;
using server::HttpServerOptions;
using server::Route;
using server::Router;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kSecret = "a-webhook-secret-of-some-length";

// Reads one SSE stream on a thread of its own and keeps everything received.
class SseReader {
 public:
  SseReader(int port, httplib::Headers headers) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    thread_ = std::thread([this, headers] {
      auto res =
          client_.Get("/v1/notifications/stream", headers, [this](const char* data, size_t n) {
            std::lock_guard lock(mu_);
            text_.append(data, n);
            cv_.notify_all();
            return !closing_;
          });
      std::lock_guard lock(mu_);
      ended_ = true;
      if (res) status_ = res->status;
      cv_.notify_all();
    });
  }
  ~SseReader() { Close(); }
  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  // Waits (up to 20 s) until the received text contains `needle`.
  bool WaitFor(const std::string& needle) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(20), [&] {
      return text_.find(needle) != std::string::npos || ended_;
    }) && text_.find(needle) != std::string::npos;
  }
  // Waits (up to 20 s) until the server ended the stream.
  bool WaitEnded() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(20), [&] { return ended_; });
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  httplib::Client client_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;      // guarded by mu_
  bool closing_ = false;  // guarded by mu_
  bool ended_ = false;    // guarded by mu_
  int status_ = 0;        // guarded by mu_
};

class NotifyRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    notifier_ = std::move(notify::Notifier::Open(*db_, clock_)).value();
    NotifyRouteOptions options;
    options.heartbeat = milliseconds(100);
    options.poll = milliseconds(100);
    options.max_streams = 3;
    AddNotifyRoutes(router_, *notifier_, options);
    http_ = std::make_unique<HttpServer>(router_, HttpServerOptions{}, &auth_);
    port_ = http_->Bind("127.0.0.1", 0).value();
    run_ = std::async(std::launch::async, [this] { return http_->Run(); });
    client_ = std::move(HttpClient::Create("http://127.0.0.1:" + std::to_string(port_))).value();
  }
  void TearDown() override { StopServer(); }

  void StopServer() {
    if (!http_) return;
    client_.reset();  // an idle keep-alive connection would hold a worker until it times out
    http_->Stop();
    ASSERT_EQ(run_.wait_for(seconds(20)), std::future_status::ready) << "shutdown hangs";
    EXPECT_TRUE(run_.get().ok());
    notifier_->Stop();
    http_.reset();
  }

  ClientResponse Send(std::string_view method, const std::string& path, const json& body = {}) {
    auto r = client_->Send(method, path, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }

  notify::Message Publish(const std::string& type, notify::Topic topic = notify::Topic::kOperator) {
    auto p = notifier_->Publish(topic, type, type + " happened", {{"n", 1}});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->message : notify::Message{};
  }

  TempDir dir_;
  FakeClock clock_;
  FixedAuthenticator auth_{FixedAuthenticator::Admin()};
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<notify::Notifier> notifier_;
  Router router_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::future<Status> run_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(NotifyRoutesTest, EveryRouteNeedsTheOperatorRole) {
  for (const Route& r : router_.routes()) EXPECT_EQ(r.role, Role::kOperator) << r.pattern;
}

TEST_F(NotifyRoutesTest, InvalidWebhookTargetsAre400) {
  for (const char* url : {"ftp://example.com/", "https://user:pw@example.com/", "not a url",
                          "http:///nohost", "javascript:alert(1)"}) {
    auto r = Send(
        "POST", "/v1/subscriptions",
        {{"topic", "operator"}, {"protocol", "webhook"}, {"endpoint", url}, {"secret", kSecret}});
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "InvalidArgument");
  }
  auto long_url = Send("POST", "/v1/subscriptions",
                       {{"topic", "operator"},
                        {"protocol", "webhook"},
                        {"endpoint", "https://example.com/" + std::string(3000, 'a')},
                        {"secret", kSecret}});
  EXPECT_EQ(long_url.status, 400);
  EXPECT_EQ(Send("POST", "/v1/subscriptions",
                 {{"topic", "everyone"},
                  {"protocol", "webhook"},
                  {"endpoint", "https://e.com/"},
                  {"secret", kSecret}})
                .status,
            400);
  EXPECT_EQ(Send("POST", "/v1/subscriptions",
                 {{"topic", "operator"}, {"protocol", "webhook"}, {"endpoint", "https://e.com/"}})
                .status,
            400);  // no secret
  auto email =
      Send("POST", "/v1/subscriptions",
           {{"topic", "operator"}, {"protocol", "email"}, {"endpoint", "ops@example.com"}});
  EXPECT_EQ(email.status, 409);  // SMTP is not configured
  EXPECT_EQ(json::parse(email.body)["error"]["code"], "FailedPrecondition");
  EXPECT_EQ(json::parse(Send("GET", "/v1/subscriptions").body)["subscriptions"].size(), 0U);
}

TEST_F(NotifyRoutesTest, SubscriptionLifecycleNeverShowsTheSecret) {
  auto created = Send("POST", "/v1/subscriptions",
                      {{"topic", "operator"},
                       {"protocol", "webhook"},
                       {"endpoint", "https://hooks.example.com/x"},
                       {"secret", kSecret}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find(kSecret), std::string::npos);
  json sub = json::parse(created.body);
  EXPECT_EQ(sub["topic"], "operator");
  EXPECT_EQ(sub["protocol"], "webhook");
  EXPECT_EQ(sub["endpoint"], "https://hooks.example.com/x");
  auto list = Send("GET", "/v1/subscriptions");
  EXPECT_EQ(list.body.find(kSecret), std::string::npos);
  EXPECT_EQ(json::parse(list.body)["subscriptions"].size(), 1U);
  std::string path = "/v1/subscriptions/" + std::to_string(sub["id"].get<int64_t>());
  EXPECT_EQ(Send("DELETE", path).status, 204);
  EXPECT_EQ(Send("DELETE", path).status, 404);
  EXPECT_EQ(json::parse(Send("GET", "/v1/subscriptions").body)["subscriptions"].size(), 0U);
}

TEST_F(NotifyRoutesTest, FeedPublishAndDeadLetters) {
  notify::testing::WebhookReceiver receiver;
  receiver.Answer(500);
  ASSERT_EQ(Send("POST", "/v1/subscriptions",
                 {{"topic", "operator"},
                  {"protocol", "webhook"},
                  {"endpoint", receiver.Url()},
                  {"secret", kSecret}})
                .status,
            201);
  json msg = {{"Topic", "operator"}, {"Type", "Deployed"}, {"Subject", "v2"}, {"MessageId", "d-1"}};
  EXPECT_EQ(Send("POST", "/v1/notifications", msg).status, 201);
  EXPECT_EQ(Send("POST", "/v1/notifications", msg).status, 200);  // same id: no new message
  Publish("TrainingStarted", notify::Topic::kConsumer);
  json feed = json::parse(Send("GET", "/v1/notifications?topic=operator").body);
  ASSERT_EQ(feed["notifications"].size(), 1U);
  EXPECT_EQ(feed["notifications"][0]["MessageId"], "d-1");
  EXPECT_EQ(feed["notifications"][0]["Type"], "Deployed");
  feed = json::parse(Send("GET", "/v1/notifications?after=1&limit=10").body);
  ASSERT_EQ(feed["notifications"].size(), 1U);
  EXPECT_EQ(feed["notifications"][0]["Topic"], "consumer");
  EXPECT_EQ(feed["next"], 2);
  EXPECT_EQ(Send("GET", "/v1/notifications?limit=0").status, 400);
  EXPECT_EQ(Send("GET", "/v1/notifications?topic=x").status, 400);

  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(notifier_->RunDueDeliveries().ok());
    clock_.Advance(std::chrono::minutes(10));
  }
  json dead = json::parse(Send("GET", "/v1/notifications/dead-letters").body);
  ASSERT_EQ(dead["dead_letters"].size(), 1U);
  const json& d = dead["dead_letters"][0];
  EXPECT_EQ(d["attempts"], 8);
  EXPECT_EQ(d["message"]["MessageId"], "d-1");
  EXPECT_EQ(d["subscription"]["endpoint"], receiver.Url());
  EXPECT_EQ(dead.dump().find(kSecret), std::string::npos);
  std::string redeliver =
      "/v1/notifications/dead-letters/" + std::to_string(d["id"].get<int64_t>()) + "/redeliver";
  receiver.Answer(200);
  EXPECT_EQ(Send("POST", redeliver).status, 202);
  EXPECT_EQ(Send("POST", redeliver).status, 404);
  EXPECT_EQ(*notifier_->RunDueDeliveries(), 1);
  EXPECT_EQ(json::parse(Send("GET", "/v1/notifications/dead-letters").body)["dead_letters"].size(),
            0U);
  EXPECT_EQ(receiver.requests().size(), 9U);
}

TEST_F(NotifyRoutesTest, StreamSendsNewMessagesAndResumesAfterLastEventId) {
  notify::Message before = Publish("TrainingStarted");  // published before connecting
  std::string first_id;
  {
    SseReader reader(port_, {});
    ASSERT_TRUE(reader.WaitFor(": connected")) << reader.text();
    notify::Message m = Publish("TrainingSucceeded");
    first_id = std::to_string(m.sequence);
    ASSERT_TRUE(reader.WaitFor("event: TrainingSucceeded\n")) << reader.text();
    std::string text = reader.text();
    EXPECT_NE(text.find("id: " + first_id + "\nevent: TrainingSucceeded\ndata: {"),
              std::string::npos)
        << text;
    // Only messages from the moment of connecting, not the one before.
    EXPECT_EQ(text.find("TrainingStarted"), std::string::npos) << text;
    auto data_at = text.find("data: ", text.find("event: TrainingSucceeded"));
    json data = json::parse(text.substr(data_at + 6, text.find('\n', data_at) - data_at - 6));
    EXPECT_EQ(data["MessageId"], m.id);
    EXPECT_EQ(data["Sequence"], m.sequence);
    EXPECT_TRUE(reader.WaitFor(": heartbeat")) << text;
  }
  // Disconnected; two more messages, one per topic.
  Publish("Deployed");
  Publish("DetectionBelowThreshold", notify::Topic::kConsumer);
  SseReader resumed(port_, {{"Last-Event-ID", first_id}});
  ASSERT_TRUE(resumed.WaitFor("event: DetectionBelowThreshold\n")) << resumed.text();
  std::string text = resumed.text();
  EXPECT_NE(text.find("event: Deployed\n"), std::string::npos) << text;
  EXPECT_LT(text.find("event: Deployed"), text.find("event: DetectionBelowThreshold"));
  EXPECT_EQ(text.find("event: TrainingSucceeded"), std::string::npos) << text;
  EXPECT_EQ(text.find("id: " + std::to_string(before.sequence) + "\n"), std::string::npos);
}

TEST_F(NotifyRoutesTest, StreamFiltersByTopic) {
  SseReader reader(port_, {{"Last-Event-ID", "0"}});
  // ?topic= needs the query string; use a second reader for it.
  httplib::Client c("127.0.0.1", port_);
  std::string got;
  std::atomic<bool> stop{false};
  std::promise<void> done;
  std::thread t([&] {
    c.Get("/v1/notifications/stream?topic=consumer&after=0", [&](const char* d, size_t n) {
      got.append(d, n);
      if (got.find("event: DetectionBelowThreshold") != std::string::npos) {
        done.set_value();
        return false;
      }
      return !stop.load();
    });
  });
  Publish("Deployed");
  Publish("DetectionBelowThreshold", notify::Topic::kConsumer);
  bool received = done.get_future().wait_for(seconds(20)) == std::future_status::ready;
  stop = true;
  c.stop();
  t.join();
  ASSERT_TRUE(received) << got;
  EXPECT_EQ(got.find("event: Deployed"), std::string::npos) << got;
  EXPECT_TRUE(reader.WaitFor("event: Deployed"));  // the unfiltered stream sees both
  EXPECT_TRUE(reader.WaitFor("event: DetectionBelowThreshold"));
}

TEST_F(NotifyRoutesTest, TooManyStreamsAre429) {
  SseReader a(port_, {});
  SseReader b(port_, {});
  SseReader c(port_, {});
  ASSERT_TRUE(a.WaitFor(": connected"));
  ASSERT_TRUE(b.WaitFor(": connected"));
  ASSERT_TRUE(c.WaitFor(": connected"));
  EXPECT_EQ(Send("GET", "/v1/notifications/stream").status, 429);
  c.Close();
  // The closed stream's slot frees once the server notices the client is gone (at its next
  // write, a heartbeat at the latest); until then new streams are refused.
  bool freed = false;
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (!freed && std::chrono::steady_clock::now() < deadline) {
    SseReader d(port_, {});
    freed = d.WaitFor(": connected");
  }
  EXPECT_TRUE(freed);
}

TEST_F(NotifyRoutesTest, ShutdownEndsOpenStreams) {
  SseReader reader(port_, {});
  ASSERT_TRUE(reader.WaitFor(": connected"));
  StopServer();  // asserts that Run returns within the deadline
  EXPECT_TRUE(reader.WaitEnded());
}

}  // namespace
}  // namespace loupe::notify
