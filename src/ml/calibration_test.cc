#include "ml/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

namespace loupe::ml {
namespace {

TEST(Calibration, ProbabilitiesIncludeTheNoneOutcome) {
  Calibration c;
  c.temperature = 2.0;
  std::vector<double> p = CalibratedProbabilities({2.0, 0.0}, c);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0], 1 / (1 + std::exp(-1.0)), 1e-12);  // softmax(1, 0)
  EXPECT_DOUBLE_EQ(p[2], 0.0);
  c.has_none_logit = true;
  c.none_logit = 1.0;
  p = CalibratedProbabilities({2.0, 0.0}, c);  // softmax(1, 0, 1)
  const double z = 2 * std::exp(1.0) + 1;
  EXPECT_NEAR(p[0], std::exp(1.0) / z, 1e-12);
  EXPECT_NEAR(p[1], 1 / z, 1e-12);
  EXPECT_NEAR(p[2], std::exp(1.0) / z, 1e-12);
}

TEST(Calibration, FitsTheHandComputedTemperature) {
  // Every sample has logits (2, 0) and 75 % are class 0: the NLL is minimal where
  // sigmoid(2 / T) = 0.75, i.e. T = 2 / ln 3.
  std::vector<CalibrationSample> samples;
  for (int i = 0; i < 4; ++i) samples.push_back({{2.0, 0.0}, i < 3 ? 0 : 1, 1.0, {}});
  Result<Calibration> c = FitCalibration(samples, false);
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(c->temperature, 2 / std::log(3.0), 1e-4);
  EXPECT_FALSE(c->has_none_logit);
}

TEST(Calibration, FitsTheNoneLogitFromHeldOutNegatives) {
  // Logits (0, 0) always; half the samples are class 0, a quarter class 1, a quarter none.
  // Optimum: p = (1/2, 1/4, 1/4) is unreachable with equal logits, but p0 = p1 = 3/8 and
  // p_none = 1/4 is the best softmax(0, 0, b): e^b / (2 + e^b) = 1/4 -> b = ln(2/3).
  std::vector<CalibrationSample> samples = {
      {{0, 0}, 0, 1, {}}, {{0, 0}, 0, 1, {}}, {{0, 0}, 1, 1, {}}, {{0, 0}, -1, 1, {}}};
  Result<Calibration> c = FitCalibration(samples, true);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->has_none_logit);
  EXPECT_NEAR(c->none_logit, std::log(2.0 / 3.0), 1e-4);
  // A head class for negatives counts as "none" too.
  std::vector<CalibrationSample> with_class = {{{0, 0, 5}, 2, 1, {}}};
  Calibration n;
  EXPECT_NEAR(CalibrationNll(with_class, n, 2), -std::log(std::exp(5.0) / (2 + std::exp(5.0))),
              1e-9);
}

TEST(Calibration, AddsWeightedEvidenceAfterTheTemperatureAndFitsItsWeight) {
  Calibration c;
  c.temperature = 5;
  c.evidence_weight = 1;
  std::vector<double> evidence = {std::log(2.0), 0};
  std::vector<double> p = CalibratedProbabilities({0, 0}, c, &evidence);  // softmax(ln 2, 0)
  EXPECT_NEAR(p[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(p[1], 1.0 / 3, 1e-12);
  // Class 0 is right 2 times in 3 with that evidence: weight 1 fits exactly; 0 and 2 do not.
  std::vector<CalibrationSample> samples;
  for (int i = 0; i < 3; ++i) samples.push_back({{0, 0}, i < 2 ? 0 : 1, 1.0, evidence});
  Result<Calibration> fit = FitCalibration(samples, false, -1, {0.0, 1.0, 2.0});
  ASSERT_TRUE(fit.ok());
  EXPECT_DOUBLE_EQ(fit->evidence_weight, 1.0);
}

TEST(Calibration, SaliencyPeakLowersTheNoneLogitAndItsWeightIsFitted) {
  Calibration c;
  c.has_none_logit = true;
  c.none_logit = 2;
  c.saliency_weight = 0.5;
  // none logit = 2 - 0.5 * 4 = 0: softmax(0, 0, 0).
  std::vector<double> p = CalibratedProbabilities({0, 0}, c, nullptr, 4.0);
  EXPECT_NEAR(p[2], 1.0 / 3, 1e-12);
  // Peak 0: none logit 2.
  p = CalibratedProbabilities({0, 0}, c, nullptr, 0.0);
  EXPECT_NEAR(p[2], std::exp(2.0) / (2 + std::exp(2.0)), 1e-12);
  // Images with a strong peak (6) are always a label, images with a weak one (0) never:
  // a positive saliency weight separates them, weight 0 cannot.
  std::vector<CalibrationSample> samples;
  for (int i = 0; i < 4; ++i) {
    samples.push_back({{1, 0}, i % 2, 1.0, {}, 6.0});
    samples.push_back({{1, 0}, -1, 1.0, {}, 0.0});
  }
  Result<Calibration> fit = FitCalibration(samples, true, -1, {0.0}, {0.0, 0.5, 1.5});
  ASSERT_TRUE(fit.ok());
  EXPECT_DOUBLE_EQ(fit->saliency_weight, 1.5);
  Result<Calibration> flat = FitCalibration(samples, true, -1, {0.0}, {0.0});
  ASSERT_TRUE(flat.ok());
  EXPECT_LT(CalibrationNll(samples, *fit), CalibrationNll(samples, *flat));
  // Without a none logit the saliency weight is not fitted.
  Result<Calibration> closed = FitCalibration(samples, false, -1, {0.0}, {0.0, 1.5});
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->saliency_weight, 0.0);
}

TEST(Calibration, ExpectedCalibrationErrorByHand) {
  // Bin [0.6, 0.667): confidences 0.6, 0.6, accuracy 1 -> |1 - 0.6| * 2/4;
  // bin [0.867, 0.933): 0.9, 0.9, accuracy 0.5 -> |0.5 - 0.9| * 2/4. ECE = 0.4.
  EXPECT_NEAR(ExpectedCalibrationError({0.9, 0.9, 0.6, 0.6}, {true, false, true, true}), 0.4,
              1e-12);
  EXPECT_NEAR(ExpectedCalibrationError({1.0, 0.0}, {true, false}), 0.0, 1e-12);
  EXPECT_EQ(ExpectedCalibrationError({}, {}), 0.0);
}

}  // namespace
}  // namespace loupe::ml
