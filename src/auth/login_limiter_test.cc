#include "auth/login_limiter.h"

#include <gtest/gtest.h>

namespace loupe::auth {
namespace {

using std::chrono::seconds;

TEST(LoginLimiter, FreeFailuresThenDoublingDelays) {
  FakeClock clock;
  LoginLimiter limiter(clock, {.free_failures_per_user = 3, .free_failures_per_address = 100});
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(limiter.RetryAfter("ann", "10.0.0.1"));
    limiter.RecordFailure("ann", "10.0.0.1");
  }
  EXPECT_FALSE(limiter.RetryAfter("ann", "10.0.0.1"));
  limiter.RecordFailure("ann", "10.0.0.1");  // 3rd: over the allowance -> 1 s
  ASSERT_TRUE(limiter.RetryAfter("ann", "10.0.0.1"));
  EXPECT_EQ(*limiter.RetryAfter("ann", "10.0.0.1"), seconds(1));
  // Per user name: another address is locked out of "ann" too, but not out of "bob".
  EXPECT_TRUE(limiter.RetryAfter("ann", "10.0.0.2"));
  EXPECT_FALSE(limiter.RetryAfter("bob", "10.0.0.1"));
  clock.Advance(seconds(1));
  EXPECT_FALSE(limiter.RetryAfter("ann", "10.0.0.1"));
  limiter.RecordFailure("ann", "10.0.0.1");  // 4th -> 2 s
  EXPECT_EQ(*limiter.RetryAfter("ann", "10.0.0.1"), seconds(2));
  clock.Advance(seconds(2));
  limiter.RecordFailure("ann", "10.0.0.1");  // 5th -> 4 s
  EXPECT_EQ(*limiter.RetryAfter("ann", "10.0.0.1"), seconds(4));
  clock.Advance(std::chrono::milliseconds(3500));
  EXPECT_EQ(*limiter.RetryAfter("ann", "10.0.0.1"), seconds(1));  // rounded up
}

TEST(LoginLimiter, DelayIsCapped) {
  FakeClock clock;
  LoginLimiter limiter(
      clock,
      {.free_failures_per_user = 1, .free_failures_per_address = 1000, .max_delay = seconds(60)});
  for (int i = 0; i < 40; ++i) limiter.RecordFailure("ann", "a");
  EXPECT_EQ(*limiter.RetryAfter("ann", "a"), seconds(60));
}

TEST(LoginLimiter, PerAddressLimitCatchesGuessingManyNames) {
  FakeClock clock;
  LoginLimiter limiter(clock, {.free_failures_per_user = 5, .free_failures_per_address = 4});
  for (int i = 0; i < 4; ++i) limiter.RecordFailure("user" + std::to_string(i), "10.9.9.9");
  EXPECT_TRUE(limiter.RetryAfter("someone-else", "10.9.9.9"));
  EXPECT_FALSE(limiter.RetryAfter("someone-else", "10.1.1.1"));
}

TEST(LoginLimiter, SuccessClearsTheUserButNotTheAddress) {
  FakeClock clock;
  LoginLimiter limiter(clock, {.free_failures_per_user = 2, .free_failures_per_address = 3});
  limiter.RecordFailure("ann", "x");
  limiter.RecordFailure("ann", "x");
  EXPECT_TRUE(limiter.RetryAfter("ann", "y"));
  limiter.RecordSuccess("ann");
  EXPECT_FALSE(limiter.RetryAfter("ann", "y"));
  limiter.RecordFailure("bob", "x");  // the address's 3rd failure
  EXPECT_TRUE(limiter.RetryAfter("ann", "x"));
}

TEST(LoginLimiter, QuietPeriodForgetsFailures) {
  FakeClock clock;
  LoginLimiter limiter(clock, {.free_failures_per_user = 2,
                               .free_failures_per_address = 100,
                               .forget_after = seconds(600)});
  limiter.RecordFailure("ann", "x");
  clock.Advance(seconds(601));
  limiter.RecordFailure("ann", "x");  // counts as the first again
  EXPECT_FALSE(limiter.RetryAfter("ann", "x"));
}

TEST(LoginLimiter, MemoryStaysBounded) {
  FakeClock clock;
  LoginLimiter limiter(
      clock, {.free_failures_per_user = 1, .free_failures_per_address = 1, .max_entries = 100});
  for (int i = 0; i < 1000; ++i) {
    limiter.RecordFailure("u" + std::to_string(i), "a" + std::to_string(i));
    clock.Advance(std::chrono::milliseconds(1));
  }
  // The newest are still remembered.
  EXPECT_TRUE(limiter.RetryAfter("u999", "elsewhere"));
}

}  // namespace
}  // namespace loupe::auth
