#include "auth/password.h"

#include <gtest/gtest.h>

namespace loupe::auth {
namespace {

TEST(Password, HashIsArgon2idAndVerifiesOnlyTheRightPassword) {
  auto hash = HashPassword("correct horse battery");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword("not a hash", "correct horse battery"));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  auto a = HashPassword("same password");
  auto b = HashPassword("same password");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*b, "same password"));
}

TEST(Password, ValidationRejectsShortAndHugePasswords) {
  EXPECT_EQ(ValidatePassword("short").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidatePassword("eight ch").ok());
  EXPECT_EQ(ValidatePassword(std::string(1025, 'x')).code(), StatusCode::kInvalidArgument);
}

TEST(Password, RandomHexAndConstantTimeEquals) {
  std::string a = RandomHex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, RandomHex(32));
  EXPECT_TRUE(ConstantTimeEquals(a, a));
  EXPECT_FALSE(ConstantTimeEquals(a, a.substr(1)));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
}

}  // namespace
}  // namespace loupe::auth
