#include "events/object_events.h"

namespace loupe::events {

Status ObjectEvents::OnObjectCreated(db::Transaction& tx, const store::ObjectInfo& info) {
  for (store::ObjectListener* listener : also_) {
    RETURN_IF_ERROR(listener->OnObjectCreated(tx, info));
  }
  return log_
      .Append(tx, EventKind::kObjectCreated,
              {{"key", info.key}, {"size", info.size}, {"sha256", info.sha256}})
      .status();
}

}  // namespace loupe::events
