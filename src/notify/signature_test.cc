// Webhook signatures: HMAC-SHA256 against the RFC 4231 vector, and verification.

#include "notify/signature.h"

#include <gtest/gtest.h>

#include <string>

namespace loupe::notify {
namespace {

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

}  // namespace
}  // namespace loupe::notify
