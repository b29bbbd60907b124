#include "ml/evaluation.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "ml/calibration.h"

namespace loupe::ml {
namespace {

struct Prf {
  double precision = 0, recall = 0, f1 = 0;
};

Prf ScoreLabel(const std::vector<EvalSample>& samples, int label, double threshold) {
  int tp = 0, fp = 0, fn = 0;
  for (const EvalSample& s : samples) {
    bool answered = s.predicted == label && s.confidence >= threshold;
    if (s.truth == label) {
      answered ? ++tp : ++fn;
    } else if (answered) {
      ++fp;
    }
  }
  Prf r;
  r.precision = tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 0;
  r.recall = tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  return r;
}

}  // namespace

Evaluation Evaluate(const std::vector<EvalSample>& samples, const std::vector<std::string>& labels,
                    double min_confidence) {
  Evaluation e;
  e.labels = labels;
  e.min_confidence = min_confidence;
  const int k = static_cast<int>(labels.size());
  e.confusion.assign(k + 1, std::vector<int>(k + 1, 0));
  int correct = 0;
  std::vector<double> conf;
  std::vector<bool> ok;
  for (const EvalSample& s : samples) {
    if (s.truth >= 0) {
      ++e.test_images;
      if (s.predicted == s.truth) ++correct;
    } else {
      ++e.none_images;
    }
    int row = s.truth >= 0 ? s.truth : k;
    int col = s.confidence >= min_confidence ? s.predicted : k;
    e.confusion[row][col]++;
    conf.push_back(s.confidence / 100.0);
    ok.push_back(s.truth >= 0 && s.predicted == s.truth);
  }
  e.top1_accuracy = e.test_images > 0 ? static_cast<double>(correct) / e.test_images : 0;
  e.ece = ExpectedCalibrationError(conf, ok, 15);
  double sum_f1 = 0, sum_assumed = 0;
  for (int l = 0; l < k; ++l) {
    LabelMetrics m;
    m.name = labels[l];
    m.support = static_cast<int>(std::count_if(samples.begin(), samples.end(),
                                               [&](const EvalSample& s) { return s.truth == l; }));
    Prf at = ScoreLabel(samples, l, min_confidence);
    m.precision = at.precision;
    m.recall = at.recall;
    m.f1 = at.f1;
    std::set<double> candidates;
    for (const EvalSample& s : samples) {
      if (s.predicted == l) candidates.insert(s.confidence);
    }
    for (double t : candidates) {
      double f1 = ScoreLabel(samples, l, t).f1;
      if (f1 >= m.f1_at_assumed_threshold) {  // ascending: ties go to the higher threshold
        m.f1_at_assumed_threshold = f1;
        m.assumed_threshold = t;
      }
    }
    sum_f1 += m.f1;
    sum_assumed += m.f1_at_assumed_threshold;
    e.per_label.push_back(std::move(m));
  }
  e.macro_f1 = k > 0 ? sum_f1 / k : 0;
  e.macro_f1_assumed = k > 0 ? sum_assumed / k : 0;
  return e;
}

void to_json(nlohmann::json& j, const Evaluation& e) {
  nlohmann::json per = nlohmann::json::array();
  for (const LabelMetrics& m : e.per_label) {
    per.push_back({{"Name", m.name},
                   {"Support", m.support},
                   {"Precision", m.precision},
                   {"Recall", m.recall},
                   {"F1", m.f1},
                   {"AssumedThreshold", m.assumed_threshold},
                   {"F1AtAssumedThreshold", m.f1_at_assumed_threshold}});
  }
  j = {{"Labels", e.labels},
       {"TestImages", e.test_images},
       {"NoneImages", e.none_images},
       {"MinConfidence", e.min_confidence},
       {"Top1Accuracy", e.top1_accuracy},
       {"MacroF1", e.macro_f1},
       {"MacroF1AtAssumedThresholds", e.macro_f1_assumed},
       {"ExpectedCalibrationError", e.ece},
       {"PerLabel", per},
       {"ConfusionMatrix",
        {{"Rows", "truth: labels then _none"},
         {"Columns", "answer: labels then no answer (confidence below MinConfidence)"},
         {"Counts", e.confusion}}}};
}

void from_json(const nlohmann::json& j, Evaluation& e) {
  e.labels = j.at("Labels").get<std::vector<std::string>>();
  e.test_images = j.at("TestImages").get<int>();
  e.none_images = j.at("NoneImages").get<int>();
  e.min_confidence = j.at("MinConfidence").get<double>();
  e.top1_accuracy = j.at("Top1Accuracy").get<double>();
  e.macro_f1 = j.at("MacroF1").get<double>();
  e.macro_f1_assumed = j.at("MacroF1AtAssumedThresholds").get<double>();
  e.ece = j.at("ExpectedCalibrationError").get<double>();
  e.per_label.clear();
  for (const nlohmann::json& p : j.at("PerLabel")) {
    LabelMetrics m;
    m.name = p.at("Name").get<std::string>();
    m.support = p.at("Support").get<int>();
    m.precision = p.at("Precision").get<double>();
    m.recall = p.at("Recall").get<double>();
    m.f1 = p.at("F1").get<double>();
    m.assumed_threshold = p.at("AssumedThreshold").get<double>();
    m.f1_at_assumed_threshold = p.at("F1AtAssumedThreshold").get<double>();
    e.per_label.push_back(std::move(m));
  }
  e.confusion = j.at("ConfusionMatrix").at("Counts").get<std::vector<std::vector<int>>>();
}

}  // namespace loupe::ml
