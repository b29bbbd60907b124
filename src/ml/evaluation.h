#pragma once
// Evaluation of a trained model on its test split: per-label precision, recall, F1, macro F1,
// confusion matrix, per-label "assumed threshold", top-1 accuracy and ECE; written as
// evaluation.json. Pure functions of value types; thread-safe.
//
// How answers count (docs/ml.md): for each test image the model's answer is its top label if
// that label's confidence >= the threshold, otherwise "no answer". For label L: a true positive
// is an image of L answered L; a false positive is any other image (another label or a `_none`
// negative) answered L; a false negative is an image of L answered otherwise or not answered.
// So a low-confidence answer costs recall, never precision. `macro_f1` is the unweighted mean
// of the labels' F1 at `min_confidence` (the deployment gate reads it); `macro_f1_assumed` uses
// each label's assumed threshold instead (optimistic: chosen on the test split itself).

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace loupe::ml {

struct EvalSample {
  int truth = -1;         // label index, or -1 for an image of none of the labels
  int predicted = 0;      // top label index
  double confidence = 0;  // of the top label, 0..100
};

struct LabelMetrics {
  std::string name;
  int support = 0;                           // test images of this label
  double precision = 0, recall = 0, f1 = 0;  // at min_confidence
  // The confidence threshold that maximises this label's F1 (the highest one among ties), and
  // the F1 there. 0 when the label is never predicted.
  double assumed_threshold = 0;
  double f1_at_assumed_threshold = 0;
};

struct Evaluation {
  std::vector<std::string> labels;
  int test_images = 0;  // with a label
  int none_images = 0;  // `_none` negatives in the test split
  double min_confidence = 0;
  double top1_accuracy = 0;  // over labelled images: top label == truth (threshold ignored)
  double macro_f1 = 0;
  double macro_f1_assumed = 0;
  double ece = 0;  // top-label confidence vs correctness over all test images, 15 bins
  std::vector<LabelMetrics> per_label;
  // (K+1) x (K+1): rows = truth (labels..., "_none"), columns = answer at min_confidence
  // (labels..., "no answer").
  std::vector<std::vector<int>> confusion;
};

Evaluation Evaluate(const std::vector<EvalSample>& samples, const std::vector<std::string>& labels,
                    double min_confidence = 0);

void to_json(nlohmann::json& j, const Evaluation& e);
void from_json(const nlohmann::json& j, Evaluation& e);

}  // namespace loupe::ml
