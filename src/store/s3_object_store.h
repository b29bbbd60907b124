#pragma once
// S3ObjectStore: the ObjectStore over an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...),
// for several loupe processes sharing one store. Object bytes live in the bucket under
// "<prefix>/<key>"; the index (table `s3_objects`: key, size, content hash, when stored, ETag)
// and the ObjectCreated notifications live in the database, as for the local store, so
// listings are in key order and each new content is told to the listener exactly once, also
// with many processes: Register compares the content hash with the index row inside one
// database transaction, and a transaction that races another process's is retried by the
// database (SERIALIZABLE on PostgreSQL) and then sees its row.
//
// Each object carries its SHA-256 as metadata (x-amz-meta-sha256), so registering loupe's own
// objects never reads them back. Objects that other programs put straight into the bucket
// (without that metadata) are found by the reconciler — a pass at Start and then every
// `reconcile_interval`, which lists the bucket and registers keys that are new or whose ETag
// changed (reading and hashing those), and drops rows of objects that are gone — or sooner
// by Register(key), which S3 event notifications posted to loupe call.
//
// Thread-safe. Borrows the database, clock and listener (which must outlive the store); owns its
// reconciler thread, which Stop and the destructor end.

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "store/object_store.h"
#include "store/s3_client.h"

namespace loupe::store {

struct S3StoreOptions {
  std::string prefix;  // keys live under "<prefix>/" in the bucket; empty = the bucket's root
  std::chrono::milliseconds reconcile_interval{5000};
};

// "s3://bucket[/prefix]" -> bucket and prefix; InvalidArgument otherwise.
Status ParseS3Url(std::string_view url, std::string* bucket, std::string* prefix);

struct ReconcileCounts {
  int listed = 0;      // objects in the bucket under the prefix
  int registered = 0;  // new or changed, registered now
  int dropped = 0;     // index rows of objects that are gone
  int failed = 0;      // keys that could not be registered (retried next pass)
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Applies the store's migrations. The reconciler is not started: call Start.
  static Result<std::unique_ptr<S3ObjectStore>> Open(std::unique_ptr<S3Client> client,
                                                     S3StoreOptions options, db::Database& db,
                                                     const Clock& clock, ObjectListener* listener);
  ~S3ObjectStore() override;
  S3ObjectStore(const S3ObjectStore&) = delete;
  S3ObjectStore& operator=(const S3ObjectStore&) = delete;

  Result<ObjectInfo> Put(std::string_view key, std::string_view bytes) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<ObjectInfo> Head(std::string_view key) const override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_keys = 1000) const override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Copy(std::string_view from, std::string_view to) override;

  // Runs one reconciliation pass now, then starts the reconciler thread.
  [[nodiscard]] Status Start() override;
  void Stop() override;  // idempotent

  // One pass of the reconciler (also what the thread runs).
  Result<ReconcileCounts> Reconcile();
  // Brings the index up to date with the object at `key` in the bucket: registers it (telling
  // the listener) if its content is new, drops its row if it is gone (then NotFound).
  Result<ObjectInfo> Register(std::string_view key);
  // `storage_key` is the bucket's key, "<prefix>/<key>".
  Result<ObjectInfo> RegisterStorageKey(std::string_view storage_key) override;
  // Whether the bucket answers with these credentials (for /healthz).
  Status Health() const override;

 private:
  struct Known {
    int64_t size = 0;
    std::string sha256;
    std::string etag;
  };

  S3ObjectStore(std::unique_ptr<S3Client> client, S3StoreOptions options, db::Database& db,
                const Clock& clock, ObjectListener* listener);
  std::string BucketKey(std::string_view key) const;
  // REQUIRES: the key's stripe lock is held.
  Result<ObjectInfo> RegisterLocked(const std::string& key, const Known& known);
  Status DropRow(const std::string& key);
  std::mutex& StripeFor(std::string_view key) const;
  void Loop();

  const std::unique_ptr<S3Client> client_;
  const S3StoreOptions options_;
  db::Database& db_;
  const Clock& clock_;
  ObjectListener* const listener_;
  // Serialises this process's writers of one key so the bucket and the row agree.
  mutable std::array<std::mutex, 64> stripes_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // guarded by loop_mu_
  std::thread loop_;
};

}  // namespace loupe::store
