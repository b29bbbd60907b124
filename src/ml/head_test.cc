#include "ml/head.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace loupe::ml {
namespace {

TEST(LinearHead, SeparatesClustersDeterministicallyAndReportsProgress) {
  // Three clusters on the axes of a 4-D space.
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0, 0.1f);
  std::vector<float> x;
  std::vector<int> y;
  for (int i = 0; i < 60; ++i) {
    int c = i % 3;
    if (c == 2 && i > 30) continue;  // imbalanced
    for (int d = 0; d < 4; ++d) x.push_back((d == c ? 1.0f : 0.0f) + noise(rng));
    y.push_back(c);
  }
  std::vector<TrainingProgress> seen;
  HeadOptions opt;
  auto head =
      TrainLinearHead(x, y, 4, 3, opt, [&](const TrainingProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(head.ok()) << head.status();
  int correct = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    std::vector<double> z = head->Logits(&x[i * 4]);
    int arg = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
    correct += arg == y[i];
  }
  EXPECT_EQ(correct, static_cast<int>(y.size()));
  ASSERT_EQ(seen.size(), 6u);  // every 50 of 300 steps
  EXPECT_EQ(seen.back().step, 300);
  EXPECT_LT(seen.back().loss, seen.front().loss);
  auto again = TrainLinearHead(x, y, 4, 3, opt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->weights, head->weights);
  EXPECT_EQ(TrainLinearHead(x, y, 5, 3, opt).status().code(), StatusCode::kInvalidArgument);
}

TEST(PrototypeHead, RowsAreNormalisedClassMeans) {
  // Class 0: (1, 0) and (1, 2) -> mean (1, 1) -> (0.7071, 0.7071); class 1: (0, -3) -> (0, -1).
  std::vector<float> x = {1, 0, 1, 2, 0, -3};
  auto head = TrainPrototypeHead(x, {0, 0, 1}, 2, 3);
  ASSERT_TRUE(head.ok());
  EXPECT_NEAR(head->weights[0], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(head->weights[1], std::sqrt(0.5), 1e-6);
  EXPECT_FLOAT_EQ(head->weights[2], 0);
  EXPECT_FLOAT_EQ(head->weights[3], -1);
  EXPECT_FLOAT_EQ(head->weights[4], 0);  // class 2 has no samples
  std::vector<float> e = {0.6f, 0.8f};
  EXPECT_NEAR(head->Logits(e.data())[0], std::sqrt(0.5) * 1.4, 1e-6);
}

}  // namespace
}  // namespace loupe::ml
