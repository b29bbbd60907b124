#include "ml/head.h"

#include <gtest/gtest.h>

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
  auto head = TrainLinearHead(x, y, 4, 3, opt, [&](const TrainingProgress& p) { seen.push_back(p); });
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

}  // namespace
}  // namespace loupe::ml
