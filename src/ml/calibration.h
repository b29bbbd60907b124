#pragma once
// Confidence calibration: temperature scaling plus an implicit "none of the labels" outcome
// with a fitted constant logit (open set), both fitted by minimising the negative
// log-likelihood on held-out predictions; and the expected calibration error (ECE).
// Pure functions of value types; thread-safe.

#include <vector>

#include "core/result.h"

namespace loupe::ml {

struct Calibration {
  double temperature = 1.0;
  // Weight of per-class additive evidence (ln(1 + keypoint votes)), added after the
  // temperature: calibrated logit_k = z_k / T + evidence_weight * evidence_k.
  double evidence_weight = 0.0;
  // Logit of the implicit "none" outcome, on the scale of logits / temperature. Only used when
  // has_none_logit.
  bool has_none_logit = false;
  double none_logit = 0.0;
  // Weight of the image's saliency peak (the backbone's highest objectness logit, see
  // BackboneOutput::saliency) against the none outcome: the none logit is
  // none_logit - saliency_weight * peak, so a photo without anything logo-like leans to "none".
  // 0 for backbones without saliency.
  double saliency_weight = 0.0;
};

// Softmax over (logits / T + evidence_weight * evidence, none_logit - saliency_weight *
// saliency_peak): head classes first, the implicit none outcome last (probability 0 when
// !has_none_logit). `evidence` may be null or shorter than logits (missing entries count 0).
std::vector<double> CalibratedProbabilities(const std::vector<double>& logits, const Calibration& c,
                                            const std::vector<double>* evidence = nullptr,
                                            double saliency_peak = 0);

struct CalibrationSample {
  std::vector<double> logits;  // head logits
  int target = -1;             // head class index; -1 = none of the labels
  double weight = 1.0;
  std::vector<double> evidence;  // optional, see Calibration::evidence_weight
  double saliency_peak = 0;      // see Calibration::saliency_weight
};

// Fits T (in [0.05, 1000]: a large T switches a useless head off) and, when fit_none_logit, the
// none logit (in [-20, 20]) by golden-section search on the weighted NLL, for each pair of
// evidence weight in `evidence_weights` and saliency weight in `saliency_weights` (used only
// with fit_none_logit), and keeps the best. A target of -1 (or of `none_class`, the head's own
// negatives class, if >= 0) is explained by the none outcome plus that class.
Result<Calibration> FitCalibration(const std::vector<CalibrationSample>& samples,
                                   bool fit_none_logit, int none_class = -1,
                                   const std::vector<double>& evidence_weights = {0.0},
                                   const std::vector<double>& saliency_weights = {0.0});

// Weighted NLL of `samples` under `c` (what FitCalibration minimises).
double CalibrationNll(const std::vector<CalibrationSample>& samples, const Calibration& c,
                      int none_class = -1);

// ECE with `bins` equal-width confidence bins over [0, 1]: sum_b |acc_b - conf_b| * n_b / n.
// confidences in [0, 1]. Returns 0 for no samples.
double ExpectedCalibrationError(const std::vector<double>& confidences,
                                const std::vector<bool>& correct, int bins = 15);

}  // namespace loupe::ml
