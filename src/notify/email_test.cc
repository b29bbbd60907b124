// E-mail delivery: a message mailed to a loopback SMTP sink, and the mail's format.

#include <gtest/gtest.h>

#include "notify/notifier_test_fixture.h"
#include "notify/testing.h"
#include "notify/transport.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using testing::SmtpSink;

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

}  // namespace
}  // namespace loupe::notify
