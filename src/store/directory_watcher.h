#pragma once
// DirectoryWatcher: watches a directory tree with inotify and reports files that another
// program completed there. Used by the local object store to turn files dropped into
// DATA/objects/ into objects; generic (no database) so it can be tested on its own.
//
// What is reported:
//  - OnFullScan: every regular file under the root, once when the watcher starts (after the
//    watches are in place, so nothing that arrives meanwhile is missed) and again whenever the
//    kernel's event queue overflowed.
//  - OnFileReady: a file that was written and closed (IN_CLOSE_WRITE) or moved in
//    (IN_MOVED_TO), and every file found in a directory that appeared (mkdir, mkdir -p races,
//    a directory moved in). A file still open for writing is not reported until it is closed:
//    creation and modification alone (IN_CREATE/IN_MODIFY) are never reported, and scans skip
//    files that some process has open for writing (checked with a read lease, where the
//    process may take one; their IN_CLOSE_WRITE follows since their directory is watched).
//  - OnPathGone: a file or directory (with all under it) that was deleted or moved away.
// Names starting with '.' (hidden and temporary files, hidden directories) are skipped, as are
// symbolic links and anything that is not a regular file or a directory. Paths are relative to
// the root, '/'-separated. A handler may see the same file more than once; it must be
// idempotent.
//
// Thread-safety: the handler is called on the watcher's own thread, one call at a time. Start,
// Stop and WaitIdle may be called from any thread. The handler is borrowed and must outlive
// the watcher (or the last Stop).

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace loupe::store {

class DirectoryWatcher final {
 public:
  static constexpr std::chrono::milliseconds kRetryInterval{1000};

  // A regular file found by a scan.
  struct FileStat {
    std::string path;  // relative to the root
    int64_t size = 0;
    int64_t mtime_ns = 0;
  };

  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnFullScan(const std::vector<FileStat>& files) = 0;
    virtual void OnFileReady(const std::string& path) = 0;
    virtual void OnPathGone(const std::string& path) = 0;
    // Called after each batch of events (and each WaitIdle): retries work that failed before
    // (e.g. the database was busy). Returns true while work remains, and is then called again
    // within about kRetryInterval even if nothing changes.
    virtual bool RetryPending() { return false; }
  };

  // REQUIRES: `root` is an existing directory; `handler` outlives the watcher.
  DirectoryWatcher(std::filesystem::path root, Handler* handler);
  ~DirectoryWatcher();  // Stops.
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // Sets up inotify, watches the root and starts the thread, which first watches and scans the
  // whole tree (OnFullScan), then reports changes. FailedPrecondition if already running.
  [[nodiscard]] Status Start();
  // Wakes and joins the thread; no handler call is running or follows once it returns.
  // Idempotent. The watcher can be started again.
  void Stop();
  // Waits until the thread has handled every change that happened before this call (the
  // initial scan included). DeadlineExceeded if that takes past `deadline`; FailedPrecondition
  // if the watcher is not running.
  [[nodiscard]] Status WaitIdle(std::chrono::steady_clock::time_point deadline);
  // Number of inotify events handled so far (for tests and metrics).
  int64_t EventsHandled() const;

 private:
  void Run();
  // Reads and handles every queued inotify event. Returns false on a fatal read error.
  bool Drain();
  void HandleEvent(int wd, uint32_t mask, const std::string& name);
  // Watches `dir` (relative) and everything under it; appends the files found to `files`.
  void WatchTree(const std::string& dir, std::vector<FileStat>* files);
  void UnwatchTree(const std::string& dir);
  void FullScan();
  bool StopRequested() const;

  const std::filesystem::path root_;
  Handler* const handler_;

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop and sync requests
  std::thread thread_;
  // Only touched by the watcher thread (and by Start before the thread exists).
  std::unordered_map<int, std::string> dir_by_wd_;
  std::vector<char> buffer_;

  std::mutex lifecycle_mu_;  // serialises Start and Stop
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;         // guarded by mu_
  bool thread_exited_ = false;   // guarded by mu_
  bool stop_requested_ = false;  // guarded by mu_
  int64_t sync_requested_ = 0;   // guarded by mu_
  int64_t sync_done_ = 0;        // guarded by mu_
  int64_t events_handled_ = 0;   // guarded by mu_
};

}  // namespace loupe::store
