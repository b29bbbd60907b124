#include "models/unit_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "core/temp_dir.h"
#include "models/testing.h"

namespace loupe::models {
namespace {

class UnitPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::WriteFakeArtifact(dir_.path()).ok());
    auto p = loader_.Loader()(dir_.path());
    ASSERT_TRUE(p.ok()) << p.status();
    predictor_ = *p;
  }
  // A task that runs one prediction and reports the unit that ran it.
  static UnitPool::Task Predict(std::shared_ptr<std::promise<int>> done) {
    return [done](const ml::Predictor& p, int unit) {
      ml::Image im{64, 64, std::vector<uint8_t>(64 * 64 * 3, 90)};
      auto out = p.PredictBatch({&im});
      done->set_value(out.ok() ? unit : -1);
    };
  }
  TempDir dir_;
  testing::FakeLoader loader_;
  std::shared_ptr<const ml::Predictor> predictor_;
};

TEST_F(UnitPoolTest, RunsTasksOnEveryUnit) {
  UnitPool pool(predictor_, 3, {});
  std::vector<std::future<int>> results;
  loader_.backbone->Block();  // hold the first tasks so the others spread out
  for (int i = 0; i < 6; ++i) {
    auto done = std::make_shared<std::promise<int>>();
    results.push_back(done->get_future());
    ASSERT_TRUE(pool.Submit(Predict(done)).ok());
  }
  loader_.backbone->Release();
  std::set<int> units;
  for (auto& f : results) units.insert(f.get());
  EXPECT_EQ(units, (std::set<int>{1, 2, 3}));
  // A task's result is set before its unit counts it as completed: wait for the count.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool.Stats().completed < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(pool.Stats().completed, 6);
}

TEST_F(UnitPoolTest, OverCapacityWaitsBoundedThenResourceExhausted) {
  UnitPool pool(predictor_, 1, {/*queue_capacity=*/1, std::chrono::milliseconds(20)});
  loader_.backbone->Block();
  auto first = std::make_shared<std::promise<int>>();
  auto second = std::make_shared<std::promise<int>>();
  // The first task says when the unit has taken it (so the queue is empty), then blocks in the
  // backbone; the test waits for that, with a deadline.
  auto taken = std::make_shared<std::promise<void>>();
  std::future<void> first_taken = taken->get_future();
  ASSERT_TRUE(pool.Submit([taken, task = Predict(first)](const ml::Predictor& p, int unit) {
                    taken->set_value();
                    task(p, unit);
                  })
                  .ok());
  ASSERT_EQ(first_taken.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(pool.Stats().busy, 1);
  ASSERT_TRUE(pool.Submit(Predict(second)).ok());
  Status third = pool.Submit(Predict(std::make_shared<std::promise<int>>()));
  EXPECT_EQ(third.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.message().find("Minimum-Inference-Units"), std::string::npos);
  EXPECT_EQ(pool.Stats().rejected, 1);
  loader_.backbone->Release();
  EXPECT_EQ(first->get_future().get(), 1);
  EXPECT_EQ(second->get_future().get(), 1);
}

TEST_F(UnitPoolTest, ScaleDownFinishesEveryQueuedTask) {
  UnitPool pool(predictor_, 4, {/*queue_capacity=*/8, std::chrono::milliseconds(5000)});
  loader_.backbone->Block();
  std::vector<std::future<int>> results;
  for (int i = 0; i < 20; ++i) {
    auto done = std::make_shared<std::promise<int>>();
    results.push_back(done->get_future());
    ASSERT_TRUE(pool.Submit(Predict(done)).ok());
  }
  ASSERT_TRUE(pool.Resize(1).ok());
  EXPECT_EQ(pool.Stats().units, 1);
  // New work goes to the remaining unit only.
  auto late = std::make_shared<std::promise<int>>();
  ASSERT_TRUE(pool.Submit(Predict(late)).ok());
  loader_.backbone->Release();
  for (auto& f : results) EXPECT_GE(f.get(), 1);
  EXPECT_EQ(late->get_future().get(), 1);
  ASSERT_TRUE(pool.Resize(4).ok());
  EXPECT_EQ(pool.Stats().units, 4);
  EXPECT_EQ(pool.Resize(0).code(), StatusCode::kInvalidArgument);
}

TEST_F(UnitPoolTest, ShutdownFinishesQueuedTasksThenRefuses) {
  UnitPool pool(predictor_, 2, {});
  std::vector<std::future<int>> results;
  for (int i = 0; i < 6; ++i) {
    auto done = std::make_shared<std::promise<int>>();
    results.push_back(done->get_future());
    ASSERT_TRUE(pool.Submit(Predict(done)).ok());
  }
  pool.Shutdown();
  for (auto& f : results) EXPECT_GE(f.get(), 1);
  EXPECT_EQ(pool.Submit(Predict(std::make_shared<std::promise<int>>())).code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace loupe::models
