#include "core/enum_table.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

enum class Fruit { kApple, kPear, kPlum };
constexpr EnumTable<Fruit, 3> kFruitNames{
    {{{Fruit::kApple, "apple"}, {Fruit::kPear, "pear"}, {Fruit::kPlum, "plum"}}}};

TEST(EnumTable, NamesAndParsesEveryValue) {
  for (Fruit f : kFruitNames.Values()) {
    auto parsed = kFruitNames.Parse(kFruitNames.Name(f), "fruit");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  static_assert(kFruitNames.Name(Fruit::kPear) == "pear");
  static_assert(kFruitNames.Find("plum") == Fruit::kPlum);
}

TEST(EnumTable, UnknownNameIsInvalidArgumentListingTheNames) {
  auto parsed = kFruitNames.Parse("Apple", "fruit");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "unknown fruit 'Apple' (expected apple|pear|plum)");
  EXPECT_FALSE(kFruitNames.Find("").has_value());
}

TEST(EnumTable, ValueMissingFromTheTableIsUnknown) {
  EXPECT_EQ(kFruitNames.Name(static_cast<Fruit>(7)), "UNKNOWN");
}

}  // namespace
}  // namespace loupe
