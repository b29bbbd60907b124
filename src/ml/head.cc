#include "ml/head.h"

#include <algorithm>
#include <cmath>

namespace loupe::ml {

std::vector<double> LinearHead::Logits(const float* embedding) const {
  std::vector<double> z(num_classes);
  for (int c = 0; c < num_classes; ++c) {
    const float* w = &weights[static_cast<size_t>(c) * dim];
    double s = bias[c];
    for (int d = 0; d < dim; ++d) s += static_cast<double>(w[d]) * embedding[d];
    z[c] = s;
  }
  return z;
}

Result<LinearHead> TrainPrototypeHead(const std::vector<float>& x, const std::vector<int>& y,
                                      int dim, int num_classes) {
  const size_t n = y.size();
  if (dim <= 0 || num_classes < 2 || n == 0 || x.size() != n * static_cast<size_t>(dim)) {
    return InvalidArgumentError("TrainPrototypeHead: bad shapes");
  }
  std::vector<double> sum(static_cast<size_t>(num_classes) * dim, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("label out of range");
    for (int d = 0; d < dim; ++d) sum[static_cast<size_t>(y[i]) * dim + d] += x[i * dim + d];
  }
  LinearHead head;
  head.num_classes = num_classes;
  head.dim = dim;
  head.weights.assign(sum.size(), 0.0f);
  head.bias.assign(num_classes, 0.0f);
  for (int c = 0; c < num_classes; ++c) {
    double norm = 0;
    for (int d = 0; d < dim; ++d)
      norm += sum[static_cast<size_t>(c) * dim + d] * sum[static_cast<size_t>(c) * dim + d];
    norm = std::sqrt(norm);
    if (norm <= 0) continue;
    for (int d = 0; d < dim; ++d) {
      head.weights[static_cast<size_t>(c) * dim + d] =
          static_cast<float>(sum[static_cast<size_t>(c) * dim + d] / norm);
    }
  }
  return head;
}

Result<LinearHead> TrainLinearHead(const std::vector<float>& x, const std::vector<int>& y, int dim,
                                   int num_classes, const HeadOptions& options,
                                   const ProgressCallback& progress, const std::string& phase) {
  const size_t n = y.size();
  if (dim <= 0 || num_classes < 2 || n == 0 || x.size() != n * static_cast<size_t>(dim)) {
    return InvalidArgumentError("TrainLinearHead: bad shapes");
  }
  std::vector<double> count(num_classes, 0);
  for (int label : y) {
    if (label < 0 || label >= num_classes) return InvalidArgumentError("label out of range");
    count[label] += 1;
  }
  int present =
      static_cast<int>(std::count_if(count.begin(), count.end(), [](double c) { return c > 0; }));
  std::vector<double> sample_weight(n, 1.0);
  double weight_sum = static_cast<double>(n);
  if (options.balance_classes) {
    weight_sum = 0;
    for (size_t i = 0; i < n; ++i) {
      sample_weight[i] = static_cast<double>(n) / (present * count[y[i]]);
      weight_sum += sample_weight[i];
    }
  }
  const size_t np = static_cast<size_t>(num_classes) * (dim + 1);  // W rows then biases
  std::vector<double> params(np, 0.0), grad(np), m(np, 0.0), v(np, 0.0);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<double> z(num_classes);
  for (int step = 1; step <= options.steps; ++step) {
    std::fill(grad.begin(), grad.end(), 0.0);
    double loss = 0;
    for (size_t i = 0; i < n; ++i) {
      const float* e = &x[i * dim];
      double zmax = -1e300;
      for (int c = 0; c < num_classes; ++c) {
        const double* w = &params[static_cast<size_t>(c) * dim];
        double s = params[static_cast<size_t>(num_classes) * dim + c];
        for (int d = 0; d < dim; ++d) s += w[d] * e[d];
        z[c] = s;
        zmax = std::max(zmax, s);
      }
      double sum = 0;
      for (int c = 0; c < num_classes; ++c) sum += std::exp(z[c] - zmax);
      const double sw = sample_weight[i] / weight_sum;
      loss -= sw * (z[y[i]] - zmax - std::log(sum));
      for (int c = 0; c < num_classes; ++c) {
        double g = sw * (std::exp(z[c] - zmax) / sum - (c == y[i] ? 1.0 : 0.0));
        double* gw = &grad[static_cast<size_t>(c) * dim];
        for (int d = 0; d < dim; ++d) gw[d] += g * e[d];
        grad[static_cast<size_t>(num_classes) * dim + c] += g;
      }
    }
    for (size_t k = 0; k < static_cast<size_t>(num_classes) * dim; ++k) {
      loss += 0.5 * options.l2 * params[k] * params[k];
      grad[k] += options.l2 * params[k];
    }
    const double c1 = 1 - std::pow(b1, step), c2 = 1 - std::pow(b2, step);
    for (size_t k = 0; k < np; ++k) {
      m[k] = b1 * m[k] + (1 - b1) * grad[k];
      v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
      params[k] -= options.learning_rate * (m[k] / c1) / (std::sqrt(v[k] / c2) + eps);
    }
    if (progress && (step % 50 == 0 || step == options.steps)) {
      progress({phase, step, options.steps, loss});
    }
  }
  LinearHead head;
  head.num_classes = num_classes;
  head.dim = dim;
  head.weights.assign(params.begin(), params.begin() + static_cast<size_t>(num_classes) * dim);
  head.bias.assign(params.begin() + static_cast<size_t>(num_classes) * dim, params.end());
  return head;
}

}  // namespace loupe::ml
