#pragma once
// LocalObjectStore: the ObjectStore over a local directory, DATA/objects/ (an object's key is
// its path relative to that folder), with an index of every object in the database (table
// `objects`: key, size, content hash, when stored) for Head and List.
//
// Writes are atomic and durable: the bytes go to a temporary file in DATA/tmp/ (same file
// system), are fsync'ed, renamed into place, the directory is fsync'ed, and then the index is
// updated. Files that other programs put into the folder are picked up by a DirectoryWatcher
// (Start) and, on Start, by a scan that also finds files added or deleted while loupe was
// stopped. Both paths go through one function (Register) which, in one database transaction,
// compares the file's content hash with the index and, when the key is new or its content
// changed, updates the index and tells the ObjectListener — so each new content produces
// exactly one listener call, durable together with the index row. Identical content again
// produces none.
//
// A key can't be both an object and a "folder" of other objects here ("a" and "a/b"), which S3
// allows; Put reports FailedPrecondition for the second.
//
// Thread-safe. Borrows the database, clock and listener (which must outlive the store); owns
// its watcher thread, which the destructor stops.

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "store/directory_watcher.h"
#include "store/object_store.h"

namespace loupe::store {

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates DATA/objects/ and DATA/tmp/ if needed, removes temporary files a crash left in
  // DATA/tmp/ and applies the store's migrations. `listener` may be null (no notifications).
  // The watcher is not started: call Start.
  static Result<std::unique_ptr<LocalObjectStore>> Open(const std::filesystem::path& data_dir,
                                                        db::Database& db, const Clock& clock,
                                                        ObjectListener* listener);
  ~LocalObjectStore() override;
  LocalObjectStore(const LocalObjectStore&) = delete;
  LocalObjectStore& operator=(const LocalObjectStore&) = delete;

  Result<ObjectInfo> Put(std::string_view key, std::string_view bytes) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<ObjectInfo> Head(std::string_view key) const override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_keys = 1000) const override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Copy(std::string_view from, std::string_view to) override;

  // Starts watching DATA/objects/: sets up the watches, then (on the watcher thread) reconciles
  // the index with the folder — registering files that are new or whose size or modification
  // time changed, dropping rows of files that are gone — then follows changes.
  // FailedPrecondition if already started.
  [[nodiscard]] Status Start() override;
  // Stops the watcher thread. Idempotent.
  void Stop() override;
  // Waits until the watcher has handled every change made to the folder before this call
  // (the start-up scan included). For tests and orderly shutdown; never needed for correctness.
  [[nodiscard]] Status WaitIdle(std::chrono::steady_clock::time_point deadline);

  // Brings the index up to date with the file at `key`: if the file exists and its content hash
  // differs from the index (or the key is new), updates the row and notifies the listener in
  // the same transaction; if the file is gone, drops the row. Returns the object's info, or
  // NotFound if there is no file. The one path by which objects enter the index.
  Result<ObjectInfo> Register(std::string_view key);
  // The folder's keys are the store's keys: Register.
  Result<ObjectInfo> RegisterStorageKey(std::string_view storage_key) override {
    return Register(storage_key);
  }

  const std::filesystem::path& ObjectsDir() const { return objects_dir_; }

 private:
  // The file's content as Put wrote it, so Register need not read it back.
  struct KnownContent {
    int64_t size = 0;
    std::string sha256;
  };
  class WatchHandler;

  LocalObjectStore(const std::filesystem::path& data_dir, db::Database& db, const Clock& clock,
                   ObjectListener* listener);

  // REQUIRES: the key's stripe lock is held.
  Result<ObjectInfo> RegisterLocked(const std::string& key, const KnownContent* known);
  // Drops the index row of `key` if its file is gone. REQUIRES: the key's stripe lock is held.
  Status DropIfMissingLocked(const std::string& key);
  // Drops the rows of `path` and every key under `path/` whose files are gone.
  void DropMissingUnder(const std::string& path);
  void Reconcile(const std::vector<DirectoryWatcher::FileStat>& files);
  // Watcher thread only: registers `key`, remembering it for a retry if that fails for a
  // reason other than the file being gone (a busy database, a failing listener).
  void RegisterOrRetryLater(const std::string& key);
  // Watcher thread only: retries the remembered keys; true while some still fail.
  bool RetryPending();
  std::mutex& StripeFor(std::string_view key) const;
  std::filesystem::path PathOf(std::string_view key) const;

  const std::filesystem::path objects_dir_;
  const std::filesystem::path tmp_dir_;
  db::Database& db_;
  const Clock& clock_;
  ObjectListener* const listener_;
  // Serialises writers of one key (Put, Delete, Register) so the file and its row agree.
  mutable std::array<std::mutex, 64> stripes_;
  std::set<std::string> retry_keys_;  // watcher thread only
  const std::unique_ptr<WatchHandler> handler_;
  const std::unique_ptr<DirectoryWatcher> watcher_;  // after handler_: destroyed before it
};

}  // namespace loupe::store
