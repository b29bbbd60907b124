#pragma once
// ObjectStore: loupe's S3-like object storage (keys like "images_for_detection/a.jpg").
// Implementations: the local-directory store (DATA/objects/) and an S3 bucket (s3_object_store.h);
// store/open.h picks one. Every stored object
// has a SHA-256 content hash. Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"

namespace loupe::store {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  std::string sha256;  // lower-case hex
  TimePoint modified;  // when the current content was stored
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // ordered by key
  std::string next_page_token;      // empty when this is the last page
};

// Validates an object key: 1..1024 bytes of UTF-8, '/'-separated segments, none empty, "." or
// "..", no leading '/', no control characters or backslashes, no segment starting with ".loupe".
Status ValidateKey(std::string_view key);

// Told, inside the store's index transaction, about each object whose content is new (a new key,
// or a key whose content hash changed). Exactly once per such change, also across crashes and
// for files that another program put into the folder. Implemented by the event log's adapter.
class ObjectListener {
 public:
  virtual ~ObjectListener() = default;
  virtual Status OnObjectCreated(db::Transaction& tx, const ObjectInfo& info) = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Stores `bytes` under `key` atomically (readers see the old or the new content, never a
  // mix) and durably before returning.
  virtual Result<ObjectInfo> Put(std::string_view key, std::string_view bytes) = 0;
  virtual Result<std::string> Get(std::string_view key) const = 0;
  virtual Result<ObjectInfo> Head(std::string_view key) const = 0;
  // Keys starting with `prefix`, at most `max_keys` (1..1000), after `page_token`.
  virtual Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                                int max_keys = 1000) const = 0;
  // NotFound if absent.
  virtual Status Delete(std::string_view key) = 0;
  virtual Result<ObjectInfo> Copy(std::string_view from, std::string_view to) = 0;

  // Starts the store's background work (watching the folder, reconciling the bucket); Stop
  // ends it (idempotent). Stores without any need neither.
  [[nodiscard]] virtual Status Start() { return Status::Ok(); }
  virtual void Stop() {}
  // Told by the storage that the object it names `storage_key` was created, changed or removed
  // (an S3 event notification): brings the index up to date with it, as the watcher or the
  // reconciler would — registering new content (one ObjectCreated per new content), dropping
  // the row of an object that is gone (then NotFound). InvalidArgument for a key outside the
  // store (another prefix) or not a valid object key.
  virtual Result<ObjectInfo> RegisterStorageKey(std::string_view storage_key) = 0;
  // Whether the storage behind the store answers (for /healthz).
  virtual Status Health() const { return Status::Ok(); }
};

}  // namespace loupe::store
