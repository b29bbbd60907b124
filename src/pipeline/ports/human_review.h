#pragma once
// HumanReview: the port through which the loop asks people (implemented by review/, see
// review/pipeline_review.h). A detection below the threshold starts a loop; a completed loop's
// consolidated answer is filed into the training set. Both calls are idempotent — by loop name
// and by loop — because the workflow engine may run a task twice after a crash.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace loupe::pipeline {

struct LoopRequest {
  std::string name;  // deterministic per image, so a repeated task creates one loop
  std::string image_key;
  std::vector<std::string> choices;
  std::string model_label;  // empty when the model returned none
  double model_confidence = 0;
};

// A loop as started (or found, when it already existed).
struct StartedLoop {
  std::string name;
  std::string status;  // the review module's loop status name, e.g. "InProgress"
  TimePoint created;
  TimePoint expires;
  std::string image_key;
  std::vector<std::string> choices;
  std::string team;
  int task_count = 0;
};

// A completed loop's answer as filed.
struct FiledAnswer {
  std::string loop;
  std::string key;                   // the copy under images_labeled_by_folder/
  std::optional<std::string> label;  // nullopt: "none of these" (filed as a negative)
  std::vector<std::string> workers;  // who answered
  TimePoint filed;
};

// The task outputs the shipped workflows read (and pass on in notifications).
nlohmann::json ToJson(const StartedLoop& loop);
nlohmann::json ToJson(const FiledAnswer& filed);

class HumanReview {
 public:
  virtual ~HumanReview() = default;
  [[nodiscard]] virtual Result<StartedLoop> StartLoop(const LoopRequest& request) = 0;
  [[nodiscard]] virtual Result<FiledAnswer> FileAnswer(std::string_view loop_name) = 0;
};

}  // namespace loupe::pipeline
