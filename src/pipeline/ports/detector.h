#pragma once
// Detector: the port through which the loop runs the production model on an uploaded image
// (implemented by detect/, see detect/pipeline_detector.h).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace loupe::pipeline {

struct Detection {
  std::string key;
  std::string model_version;
  std::string result_key;  // where the detection's JSON result was stored
  double none_confidence = 0;
  std::optional<std::string> label;  // the top label; nullopt when the model returned none
  double confidence = 0;             // of `label`; 0 without one
  std::vector<std::string> choices;  // the labels the model version knows (review choices)
};

class Detector {
 public:
  virtual ~Detector() = default;
  // Detects the labels of `object_key` at confidence 0 and stores the result object.
  // FailedPrecondition when no model version is serving production (the image waits).
  [[nodiscard]] virtual Result<Detection> Detect(std::string_view object_key) = 0;
  // Stores a result object that carries `error` instead of labels, so a consumer waiting for
  // the result of a broken or hostile upload learns why instead of waiting forever.
  [[nodiscard]] virtual Status RecordFailure(std::string_view object_key, const Status& error) = 0;
};

}  // namespace loupe::pipeline
