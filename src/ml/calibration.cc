#include "ml/calibration.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace loupe::ml {
namespace {

// Minimises a unimodal f on [lo, hi].
double GoldenMin(const std::function<double(double)>& f, double lo, double hi, int iters = 60) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi;
  double c = b - r * (b - a), d = a + r * (b - a);
  double fc = f(c), fd = f(d);
  for (int i = 0; i < iters; ++i) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - r * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + r * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

}  // namespace

std::vector<double> CalibratedProbabilities(const std::vector<double>& logits, const Calibration& c,
                                            const std::vector<double>* evidence,
                                            double saliency_peak) {
  std::vector<double> p(logits.size() + 1);
  std::vector<double> z(logits.size());
  const double none = c.none_logit - c.saliency_weight * saliency_peak;
  double zmax = c.has_none_logit ? none : -1e300;
  for (size_t k = 0; k < logits.size(); ++k) {
    z[k] = logits[k] / c.temperature;
    if (evidence && k < evidence->size()) z[k] += c.evidence_weight * (*evidence)[k];
    zmax = std::max(zmax, z[k]);
  }
  double sum = 0;
  for (size_t k = 0; k < logits.size(); ++k) {
    p[k] = std::exp(z[k] - zmax);
    sum += p[k];
  }
  p.back() = c.has_none_logit ? std::exp(none - zmax) : 0.0;
  sum += p.back();
  for (double& v : p) v /= sum;
  return p;
}

double CalibrationNll(const std::vector<CalibrationSample>& samples, const Calibration& c,
                      int none_class) {
  double nll = 0, wsum = 0;
  for (const CalibrationSample& s : samples) {
    std::vector<double> p = CalibratedProbabilities(s.logits, c, &s.evidence, s.saliency_peak);
    double q;
    if (s.target < 0 || s.target == none_class) {
      q = p.back() + (none_class >= 0 ? p[none_class] : 0.0);
    } else {
      q = p[s.target];
    }
    nll -= s.weight * std::log(std::max(q, 1e-12));
    wsum += s.weight;
  }
  return wsum > 0 ? nll / wsum : 0;
}

Result<Calibration> FitCalibration(const std::vector<CalibrationSample>& samples,
                                   bool fit_none_logit, int none_class,
                                   const std::vector<double>& evidence_weights,
                                   const std::vector<double>& saliency_weights) {
  if (samples.empty()) return InvalidArgumentError("no held-out samples to calibrate on");
  if (evidence_weights.empty() || saliency_weights.empty()) {
    return InvalidArgumentError("no evidence or saliency weights to try");
  }
  std::vector<std::pair<double, double>> grid;
  for (double ew : evidence_weights) {
    for (double sw : fit_none_logit ? saliency_weights : std::vector<double>{0.0}) {
      grid.emplace_back(ew, sw);
    }
  }
  Calibration winner;
  double winner_nll = 1e300;
  for (const auto& [ew, sw] : grid) {
    Calibration best;
    best.has_none_logit = fit_none_logit;
    best.evidence_weight = ew;
    best.saliency_weight = sw;
    auto best_b0 = [&](double temperature) {
      Calibration c = best;
      c.temperature = temperature;
      if (!fit_none_logit) return c;
      c.none_logit = GoldenMin(
          [&](double b0) {
            Calibration t = c;
            t.none_logit = b0;
            return CalibrationNll(samples, t, none_class);
          },
          -20, 20, 40);
      return c;
    };
    double log_t = GoldenMin(
        [&](double lt) { return CalibrationNll(samples, best_b0(std::exp(lt)), none_class); },
        std::log(0.05), std::log(1000.0), 48);
    Calibration fitted = best_b0(std::exp(log_t));
    const double nll = CalibrationNll(samples, fitted, none_class);
    if (nll < winner_nll) {
      winner_nll = nll;
      winner = fitted;
    }
  }
  return winner;
}

double ExpectedCalibrationError(const std::vector<double>& confidences,
                                const std::vector<bool>& correct, int bins) {
  const size_t n = std::min(confidences.size(), correct.size());
  if (n == 0 || bins < 1) return 0;
  std::vector<double> conf_sum(bins, 0), acc_sum(bins, 0), count(bins, 0);
  for (size_t i = 0; i < n; ++i) {
    int b = std::clamp(static_cast<int>(confidences[i] * bins), 0, bins - 1);
    conf_sum[b] += confidences[i];
    acc_sum[b] += correct[i] ? 1 : 0;
    count[b] += 1;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    if (count[b] > 0) ece += std::abs(acc_sum[b] - conf_sum[b]) / static_cast<double>(n);
  }
  return ece;
}

}  // namespace loupe::ml
