// The string table of LoopStatus: every status round-trips through its name, and the names
// are the persisted (and HTTP) spellings.
#include "review/loop_types.h"

#include <gtest/gtest.h>

#include <string>

namespace loupe::review {
namespace {

TEST(LoopStatus, EveryStatusRoundTripsThroughItsName) {
  ASSERT_EQ(kLoopStatusNames.Values().size(), 5u);
  for (LoopStatus s : kLoopStatusNames.Values()) {
    auto parsed = ParseLoopStatus(LoopStatusName(s));
    ASSERT_TRUE(parsed.ok()) << LoopStatusName(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(LoopStatusName(LoopStatus::kInProgress), "InProgress");
  EXPECT_EQ(LoopStatusName(LoopStatus::kExpired), "Expired");
}

TEST(LoopStatus, UnknownNameIsInvalidArgumentListingTheStatuses) {
  auto parsed = ParseLoopStatus("inprogress");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "unknown loop status 'inprogress' (InProgress|Completed|Escalated|Stopped|Expired)");
}

}  // namespace
}  // namespace loupe::review
