// End-to-end test of notifications in the real `loupe serve`: subscriptions through the CLI,
// a published message delivered to a signed webhook and to an SMTP sink by the server's own
// workers, a shipped workflow's loupe:notify reaching the webhook, /metrics lines, and a
// restart that keeps subscriptions.
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "notify/signature.h"
#include "notify/testing.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::RunCli;
using testing::ServerProcess;

constexpr const char* kSecret = "e2e-webhook-secret-0123456789";

TEST(NotifyE2E, CliSubscribesAndServerDeliversToWebhookAndEmail) {
  TempDir dir;
  notify::testing::WebhookReceiver receiver;
  notify::testing::SmtpSink sink;
  ServerProcess server((dir.path() / "data").string(),
                       {"--smtp-url", sink.Url(), "--smtp-from", "loupe@example.com"});
  ASSERT_TRUE(server.Start().ok());

  auto add = RunCli(server.url(), {"subscriptions", "add", "--topic", "operator", "--webhook",
                                   receiver.Url(), "--secret", kSecret});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  add = RunCli(server.url(),
               {"subscriptions", "add", "--topic", "operator", "--email", "ops@example.org"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto bad = RunCli(server.url(), {"subscriptions", "add", "--topic", "operator", "--webhook",
                                   "ftp://example.com/", "--secret", kSecret});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("InvalidArgument"), std::string::npos) << bad.err;
  auto ls = RunCli(server.url(), {"--json", "subscriptions", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out.find(kSecret), std::string::npos) << ls.out;
  EXPECT_EQ(json::parse(ls.out)["subscriptions"].size(), 2U);

  auto pub = RunCli(server.url(), {"notifications", "publish", "--topic", "operator", "--type",
                                   "Deployed", "--subject", "v2 is live", "--detail",
                                   R"({"version":"v2"})", "--id", "deploy-v2"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  pub = RunCli(server.url(), {"notifications", "publish", "--topic", "operator", "--type",
                              "Deployed", "--subject", "v2 is live", "--id", "deploy-v2"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_NE(pub.out.find("already published"), std::string::npos) << pub.out;

  // The server's workers deliver without being asked.
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(30)));
  auto r = receiver.requests().at(0);
  EXPECT_EQ(r.headers.at("x-loupe-message-id"), "deploy-v2");
  EXPECT_TRUE(notify::VerifyWebhookSignature(kSecret, r.headers.at("x-loupe-timestamp"), r.body,
                                             r.headers.at("x-loupe-signature")));
  EXPECT_EQ(json::parse(r.body)["Detail"]["version"], "v2");
  ASSERT_TRUE(sink.WaitForMails(1, std::chrono::seconds(30)));
  EXPECT_NE(sink.mails()[0].data.find("Subject: [loupe] v2 is live\r\n"), std::string::npos);

  auto feed = RunCli(server.url(), {"notifications", "ls", "--topic", "operator"});
  ASSERT_EQ(feed.exit_code, 0) << feed.err;
  EXPECT_NE(feed.out.find("v2 is live"), std::string::npos) << feed.out;
  auto client = server.Client();
  auto metrics = client->Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("loupe_notify_messages_total 1"), std::string::npos);

  // A shipped workflow publishes through loupe:notify: a parameter change notifies operators,
  // once, with the task's idempotency key as the message id.
  auto set = RunCli(server.url(), {"params", "set", "Minimum-F1-Score", "0.85"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ASSERT_TRUE(receiver.WaitForRequests(2, std::chrono::seconds(30)));
  json changed = json::parse(receiver.requests().at(1).body);
  EXPECT_EQ(changed["Type"], "ParameterChanged");
  EXPECT_EQ(changed["Topic"], "operator");
  EXPECT_EQ(changed["Detail"]["Change"]["name"], "Minimum-F1-Score");
  EXPECT_NE(changed["MessageId"].get<std::string>().find("/NotifyOperator/"), std::string::npos)
      << changed;

  // Subscriptions survive a restart; rm removes one.
  EXPECT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start().ok());
  ls = RunCli(server.url(), {"--json", "subscriptions", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  json subs = json::parse(ls.out)["subscriptions"];
  ASSERT_EQ(subs.size(), 2U);
  auto rm = RunCli(server.url(), {"subscriptions", "rm", std::to_string(subs[0]["id"].get<int>())});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  rm = RunCli(server.url(), {"subscriptions", "rm", std::to_string(subs[0]["id"].get<int>())});
  EXPECT_NE(rm.exit_code, 0);
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(receiver.requests().size(), 2U);  // delivered once each, not again after the restart
}

}  // namespace
}  // namespace loupe
