#include "core/clock.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST(FakeClock, AdvancesOnlyWhenTold) {
  FakeClock clock;
  TimePoint t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(hours(2));
  EXPECT_EQ(clock.Now() - t0, hours(2));
  EXPECT_EQ(FormatRfc3339(t0), "2026-01-01T00:00:00.000Z");
}

TEST(Rfc3339, FormatsAndParsesRoundTrip) {
  TimePoint t = FromUnixMillis(1795700774123);
  std::string s = FormatRfc3339(t);
  EXPECT_EQ(s, "2026-11-26T13:46:14.123Z");
  auto parsed = ParseRfc3339(s);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, t);
}

TEST(Rfc3339, AppliesOffsets) {
  auto a = ParseRfc3339("2026-11-26T15:46:14+02:00");
  auto b = ParseRfc3339("2026-11-26T13:46:14Z");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto frac = ParseRfc3339("2026-11-26T13:46:14.5Z");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(*frac - *b, milliseconds(500));
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad :
       {"yesterday", "2026-13-01T00:00:00Z", "2026-11-26T13:46:14", "2026-11-26T13:46:14Zjunk"}) {
    auto t = ParseRfc3339(bad);
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(t.status().message().find(bad), std::string::npos) << t.status();
  }
}

}  // namespace
}  // namespace loupe
