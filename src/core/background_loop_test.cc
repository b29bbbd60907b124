#include "core/background_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace loupe {
namespace {

using std::chrono::milliseconds;

// Counts runs and lets a test wait, with a deadline, until a run count is reached.
class Runs {
 public:
  milliseconds Step(milliseconds wait) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_;
    }
    cv_.notify_all();
    return wait;
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(BackgroundLoop, RunsOnStartAndAgainOnWake) {
  Runs runs;
  // A long period: only Start and Wake can cause runs within the test.
  BackgroundLoop loop("test", [&] { return runs.Step(std::chrono::hours(1)); });
  ASSERT_TRUE(loop.Start().ok());
  ASSERT_TRUE(runs.WaitFor(1));
  loop.Wake();
  ASSERT_TRUE(runs.WaitFor(2));
  loop.Stop();
  EXPECT_FALSE(loop.running());
  const int after_stop = runs.count();
  loop.Wake();  // no thread: nothing runs
  EXPECT_EQ(runs.count(), after_stop);
}

TEST(BackgroundLoop, StartTwiceIsFailedPrecondition) {
  Runs runs;
  BackgroundLoop loop("twice", [&] { return runs.Step(std::chrono::hours(1)); });
  ASSERT_TRUE(loop.Start().ok());
  Status again = loop.Start();
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  // The first run, before the stop: a Stop right after Start may come before the thread's first
  // step, and then only the restart's run would count.
  ASSERT_TRUE(runs.WaitFor(1));
  loop.Stop();
  loop.Stop();                     // idempotent
  ASSERT_TRUE(loop.Start().ok());  // restartable after a stop
  ASSERT_TRUE(runs.WaitFor(2));
}

TEST(BackgroundLoop, ZeroWaitRunsAgainUntilStopped) {
  Runs runs;
  BackgroundLoop loop("busy", [&] { return runs.Step(milliseconds(0)); });
  ASSERT_TRUE(loop.Start().ok());
  ASSERT_TRUE(runs.WaitFor(50));
  loop.Stop();
}

TEST(BackgroundLoop, StopWakesASleepingLoop) {
  Runs runs;
  BackgroundLoop loop("sleeper", [&] { return runs.Step(std::chrono::hours(24)); });
  ASSERT_TRUE(loop.Start().ok());
  ASSERT_TRUE(runs.WaitFor(1));
  const auto t0 = std::chrono::steady_clock::now();
  loop.Stop();  // would hang for a day if the wait were not interrupted
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace loupe
