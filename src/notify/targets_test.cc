// Subscription targets: the webhook URL and e-mail address rules.

#include "notify/targets.h"

#include <gtest/gtest.h>

#include <string>

namespace loupe::notify {
namespace {

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

}  // namespace
}  // namespace loupe::notify
