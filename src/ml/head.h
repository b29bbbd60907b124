#pragma once
// LinearHead: multinomial logistic regression on backbone embeddings (logits = W e + b), and
// its trainer: full-batch Adam on the class-weighted cross-entropy with L2 regularisation.
// Deterministic (zero initialisation, no sampling). A trained head is an immutable value:
// safe to share across threads.

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace loupe::ml {

struct LinearHead {
  int num_classes = 0;
  int dim = 0;
  std::vector<float> weights;  // num_classes x dim, row-major
  std::vector<float> bias;     // num_classes

  // logits (num_classes) of one embedding (dim floats).
  std::vector<double> Logits(const float* embedding) const;
};

struct TrainingProgress {
  std::string phase;  // "embed", "cross-validation", "head", "evaluate"
  int step = 0;
  int total_steps = 0;
  double loss = 0;  // cross-entropy of the current step (0 when not applicable)
};
using ProgressCallback = std::function<void(const TrainingProgress&)>;

struct HeadOptions {
  int steps = 300;
  double learning_rate = 0.05;
  double l2 = 1e-3;             // on W only
  bool balance_classes = true;  // weight each sample by N / (C * n_class)
};

// Nearest-class-mean head: row c of W is the L2-normalised mean of class c's embeddings, b = 0,
// so logits are cosine similarities (the temperature later sets their scale). Classes without
// samples get a zero row.
Result<LinearHead> TrainPrototypeHead(const std::vector<float>& x, const std::vector<int>& y,
                                      int dim, int num_classes);

// X: n x dim row-major; y: class index in [0, num_classes) per row. Classes without samples
// get weights but are never preferred (their bias decreases). InvalidArgument on bad shapes.
Result<LinearHead> TrainLinearHead(const std::vector<float>& x, const std::vector<int>& y, int dim,
                                   int num_classes, const HeadOptions& options,
                                   const ProgressCallback& progress = nullptr,
                                   const std::string& phase = "head");

}  // namespace loupe::ml
