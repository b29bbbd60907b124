#pragma once
// ObjectEvents: the store -> event log fan-out. Plugged into the object store as its listener,
// it turns each new object content into a durable ObjectCreated event ({key, size, sha256}) in
// the store's own index transaction, so each happens exactly once per new content, also across
// crashes. Other listeners (e.g. the training-image index) are told first, in the same
// transaction; a listener's error aborts the whole change. Not thread-safe to configure
// (Also() before the store starts); OnObjectCreated is as thread-safe as the listeners.

#include <vector>

#include "events/event_log.h"
#include "store/object_store.h"

namespace loupe::events {

class ObjectEvents final : public store::ObjectListener {
 public:
  explicit ObjectEvents(EventLog& log) : log_(log) {}

  // Also tells `listener` of each new object, before the event is appended. Borrowed.
  void Also(store::ObjectListener& listener) { also_.push_back(&listener); }

  Status OnObjectCreated(db::Transaction& tx, const store::ObjectInfo& info) override;

 private:
  EventLog& log_;
  std::vector<store::ObjectListener*> also_;
};

}  // namespace loupe::events
