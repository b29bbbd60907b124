#include "ml/evaluation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loupe::ml {
namespace {

// Labels a, b; five test images (truth, top label, confidence):
//   a->a 90, a->b 60, b->b 80, b->b 40, none->a 50.
std::vector<EvalSample> Samples() {
  return {{0, 0, 90}, {0, 1, 60}, {1, 1, 80}, {1, 1, 40}, {-1, 0, 50}};
}

TEST(Evaluation, MatchesHandComputedMetricsAtThresholdZero) {
  Evaluation e = Evaluate(Samples(), {"a", "b"}, 0);
  EXPECT_EQ(e.test_images, 4);
  EXPECT_EQ(e.none_images, 1);
  EXPECT_DOUBLE_EQ(e.top1_accuracy, 0.75);
  // a: TP 1, FP 1 (the none image), FN 1 -> P = R = F1 = 0.5.
  EXPECT_DOUBLE_EQ(e.per_label[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(e.per_label[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(e.per_label[0].f1, 0.5);
  // b: TP 2, FP 1, FN 0 -> P = 2/3, R = 1, F1 = 0.8.
  EXPECT_NEAR(e.per_label[1].precision, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(e.per_label[1].recall, 1.0);
  EXPECT_NEAR(e.per_label[1].f1, 0.8, 1e-12);
  EXPECT_NEAR(e.macro_f1, 0.65, 1e-12);
  // Assumed thresholds: a at 90 (P 1, R 0.5, F1 2/3); b at 40 (F1 0.8).
  EXPECT_DOUBLE_EQ(e.per_label[0].assumed_threshold, 90);
  EXPECT_NEAR(e.per_label[0].f1_at_assumed_threshold, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(e.per_label[1].assumed_threshold, 40);
  EXPECT_NEAR(e.macro_f1_assumed, (2.0 / 3 + 0.8) / 2, 1e-12);
  // Each confidence in its own bin: (0.1 + 0.6 + 0.2 + 0.6 + 0.5) / 5.
  EXPECT_NEAR(e.ece, 0.4, 1e-12);
  EXPECT_EQ(e.confusion, (std::vector<std::vector<int>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 0}}));
}

TEST(Evaluation, LowConfidenceAnswersCostRecallNotPrecision) {
  Evaluation e = Evaluate(Samples(), {"a", "b"}, 70);
  // a: only a->a 90 answered: TP 1, FP 0, FN 1 -> F1 2/3. b: b->b 80: TP 1, FP 0, FN 1.
  EXPECT_DOUBLE_EQ(e.per_label[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(e.per_label[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(e.per_label[1].precision, 1.0);
  EXPECT_DOUBLE_EQ(e.per_label[1].recall, 0.5);
  EXPECT_NEAR(e.macro_f1, 2.0 / 3, 1e-12);
  EXPECT_EQ(e.confusion, (std::vector<std::vector<int>>{{1, 0, 1}, {0, 1, 1}, {0, 0, 1}}));
}

TEST(Evaluation, RoundTripsThroughJson) {
  Evaluation e = Evaluate(Samples(), {"a", "b"}, 0);
  nlohmann::json j = e;
  EXPECT_EQ(j["MacroF1"], e.macro_f1);
  Evaluation back = j.get<Evaluation>();
  EXPECT_EQ(back.labels, e.labels);
  EXPECT_EQ(back.confusion, e.confusion);
  EXPECT_DOUBLE_EQ(back.per_label[1].f1, e.per_label[1].f1);
}

}  // namespace
}  // namespace loupe::ml
