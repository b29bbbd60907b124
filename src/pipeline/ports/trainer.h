#pragma once
// Trainer: the port through which the loop trains and judges new model versions (implemented
// by training/, see training/pipeline_trainer.h): how many labelled images no version has been
// trained on, whether a training runs, starting one, and the deployment gate's measurements.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace loupe::pipeline {

// The deployment gate's measurements of a candidate version against the version serving
// production (the champion); the training-poll workflow decides on them.
struct GateReport {
  std::string candidate;
  double candidate_f1 = 0;
  double candidate_top1 = 0;
  std::optional<std::string> champion;
  double champion_f1 = 0;
  int test_images = 0;
  double tolerance = 0.01;
  bool champion_ok = true;  // no champion, or candidate_f1 >= champion_f1 - tolerance

  nlohmann::json ToJson() const;
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  [[nodiscard]] virtual Result<int64_t> CountUntrained() const = 0;
  [[nodiscard]] virtual Result<bool> InFlight() const = 0;
  // Starts training a new version in the background (idempotent by `request_key`); returns
  // the version. FailedPrecondition while another training runs.
  [[nodiscard]] virtual Result<std::string> Start(std::string_view request_key,
                                                  std::string_view actor) = 0;
  // Evaluates `candidate` against the current production version (if any) for the gate.
  [[nodiscard]] virtual Result<GateReport> Evaluate(std::string_view candidate) = 0;
};

}  // namespace loupe::pipeline
