#pragma once
// Notifications: the port through which the loop tells operators and consumers what happened
// (implemented by notify/, see notify/pipeline_notifications.h). Idempotent by message id: a
// task that runs twice publishes once.

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace loupe::pipeline {

struct Notification {  // NOLINT(bugprone-exception-escape): json member's implicit moves
  std::string topic;   // "operator" | "consumer"
  std::string type;    // e.g. "TrainingSucceeded"
  std::string subject;
  nlohmann::json detail;
  std::string message_id;  // de-duplication id (the task's idempotency key)
};

class Notifications {
 public:
  virtual ~Notifications() = default;
  // InvalidArgument for an unknown topic.
  [[nodiscard]] virtual Status Publish(const Notification& notification) = 0;
};

}  // namespace loupe::pipeline
