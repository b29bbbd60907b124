#pragma once
// PipelineNotifications: notify's implementation of the loop's Notifications port
// (pipeline/ports/notifications.h) over Notifier. Thread-safe as Notifier is.

#include "notify/notifier.h"
#include "pipeline/ports/notifications.h"

namespace loupe::notify {

class PipelineNotifications final : public pipeline::Notifications {
 public:
  explicit PipelineNotifications(Notifier& notifier) : notifier_(notifier) {}

  Status Publish(const pipeline::Notification& n) override;

 private:
  Notifier& notifier_;
};

}  // namespace loupe::notify
