#include "notify/pipeline_notifications.h"

namespace loupe::notify {

Status PipelineNotifications::Publish(const pipeline::Notification& n) {
  ASSIGN_OR_RETURN(Topic topic, ParseTopic(n.topic));
  // The task's idempotency key is the message id: a task that runs twice publishes once.
  return notifier_.Publish(Sanitized({topic, n.type, n.subject, n.detail, n.message_id})).status();
}

}  // namespace loupe::notify
