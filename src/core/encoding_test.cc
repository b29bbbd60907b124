#include "core/encoding.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

TEST(EncodingTest, HexRoundTrips) {
  std::string bytes("\x00\x7f\xff ab", 6);
  EXPECT_EQ(HexEncode(bytes), "007fff206162");
  EXPECT_EQ(*HexDecode("007fff206162"), bytes);
  EXPECT_EQ(*HexDecode("ABcd"), "\xab\xcd");
  EXPECT_EQ(HexDecode("abc", "token").status().message(), "token is not hex");
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(EncodingTest, PercentDecodeKeepsPlus) {
  EXPECT_EQ(*PercentDecode("a%2Fb+c%20d"), "a/b+c d");
  EXPECT_FALSE(PercentDecode("%2").ok());
  EXPECT_FALSE(PercentDecode("%g1").ok());
}

}  // namespace
}  // namespace loupe
