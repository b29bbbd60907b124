#include "store/directory_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>
#include <utility>

namespace loupe::store {
namespace {

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                IN_DONT_FOLLOW | IN_EXCL_UNLINK;
constexpr size_t kBufferBytes = size_t{64} * 1024;

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

bool IsHidden(const std::string& name) { return name.empty() || name[0] == '.'; }

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// Whether some process has the file open for writing: a read lease can't be taken on such a
// file (EAGAIN). Where leases are unavailable (not the file's owner, leases disabled) the file
// counts as complete. The lease is released at once, so no writer ever waits on it.
bool IsOpenForWriting(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  bool writing = false;
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
  } else {
    writing = errno == EAGAIN;
  }
  ::close(fd);
  return writing;
}

void WriteWake(int fd) {
  uint64_t one = 1;
  // An eventfd write only fails when the counter would overflow, which still wakes the reader.
  ssize_t n = ::write(fd, &one, sizeof(one));
  (void)n;
}

}  // namespace

DirectoryWatcher::DirectoryWatcher(std::filesystem::path root, Handler* handler)
    : root_(std::move(root)), handler_(handler), buffer_(kBufferBytes) {}

DirectoryWatcher::~DirectoryWatcher() { Stop(); }

Status DirectoryWatcher::Start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (running_) return FailedPreconditionError("directory watcher already running");
  }
  int ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0) return ResourceExhaustedError("inotify_init1: " + ErrnoText(errno));
  int wfd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wfd < 0) {
    int err = errno;
    ::close(ifd);
    return ResourceExhaustedError("eventfd: " + ErrnoText(err));
  }
  int wd = ::inotify_add_watch(ifd, root_.c_str(), kWatchMask);
  if (wd < 0) {
    int err = errno;
    ::close(ifd);
    ::close(wfd);
    return FailedPreconditionError("cannot watch " + root_.string() + ": " + ErrnoText(err));
  }
  dir_by_wd_.clear();
  dir_by_wd_[wd] = "";
  {
    std::lock_guard lock(mu_);
    inotify_fd_ = ifd;
    wake_fd_ = wfd;
    running_ = true;
    stop_requested_ = false;
    thread_exited_ = false;
  }
  try {
    thread_ = std::thread(&DirectoryWatcher::Run, this);
  } catch (const std::system_error& e) {
    std::lock_guard lock(mu_);
    running_ = false;
    ::close(inotify_fd_);
    ::close(wake_fd_);
    inotify_fd_ = wake_fd_ = -1;
    return ResourceExhaustedError(std::string("cannot start watcher thread: ") + e.what());
  }
  return Status::Ok();
}

void DirectoryWatcher::Stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_requested_ = true;
    WriteWake(wake_fd_);
  }
  thread_.join();
  {
    std::lock_guard lock(mu_);
    running_ = false;
    ::close(inotify_fd_);
    ::close(wake_fd_);
    inotify_fd_ = wake_fd_ = -1;
  }
  cv_.notify_all();
  dir_by_wd_.clear();
}

Status DirectoryWatcher::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  if (!running_) return FailedPreconditionError("directory watcher is not running");
  int64_t target = ++sync_requested_;
  WriteWake(wake_fd_);
  bool reached = cv_.wait_until(
      lock, deadline, [&] { return sync_done_ >= target || thread_exited_ || !running_; });
  if (sync_done_ >= target) return Status::Ok();
  if (!reached) return DeadlineExceededError("directory watcher did not become idle in time");
  return UnavailableError("directory watcher stopped");
}

int64_t DirectoryWatcher::EventsHandled() const {
  std::lock_guard lock(mu_);
  return events_handled_;
}

void DirectoryWatcher::Run() {
  try {
    FullScan();
    bool retry_pending = handler_->RetryPending();
    while (true) {
      pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      int timeout_ms = retry_pending ? static_cast<int>(kRetryInterval.count()) : -1;
      if (::poll(fds, 2, timeout_ms) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("directory watcher: poll: {}", ErrnoText(errno));
        break;
      }
      if (fds[1].revents & POLLIN) {
        uint64_t count = 0;
        ssize_t n = ::read(wake_fd_, &count, sizeof(count));
        (void)n;
      }
      int64_t target = 0;
      {
        std::lock_guard lock(mu_);
        if (stop_requested_) break;
        target = sync_requested_;
      }
      // Every change made before a WaitIdle call is already queued in the inotify fd when its
      // request is seen here, so draining the fd after reading `target` covers it.
      if (!Drain()) break;
      retry_pending = handler_->RetryPending();
      {
        std::lock_guard lock(mu_);
        sync_done_ = std::max(sync_done_, target);
      }
      cv_.notify_all();
    }
  } catch (const std::exception& e) {
    spdlog::error("directory watcher of {} failed: {}", root_.string(), e.what());
  }
  {
    std::lock_guard lock(mu_);
    thread_exited_ = true;
  }
  cv_.notify_all();
}

bool DirectoryWatcher::Drain() {
  while (true) {
    ssize_t n = ::read(inotify_fd_, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      spdlog::error("directory watcher: read: {}", ErrnoText(errno));
      return false;
    }
    if (n == 0) return true;
    size_t offset = 0;
    while (offset + sizeof(inotify_event) <= static_cast<size_t>(n)) {
      inotify_event event{};
      std::memcpy(&event, buffer_.data() + offset, sizeof(event));
      std::string name;
      if (event.len > 0) {
        const char* p = buffer_.data() + offset + sizeof(inotify_event);
        name.assign(p, ::strnlen(p, event.len));
      }
      offset += sizeof(inotify_event) + event.len;
      {
        std::lock_guard lock(mu_);
        ++events_handled_;
      }
      HandleEvent(event.wd, event.mask, name);
    }
  }
}

void DirectoryWatcher::HandleEvent(int wd, uint32_t mask, const std::string& name) {
  if (mask & IN_Q_OVERFLOW) {
    spdlog::warn("directory watcher: event queue overflowed; rescanning {}", root_.string());
    FullScan();
    return;
  }
  auto it = dir_by_wd_.find(wd);
  if (it == dir_by_wd_.end()) return;
  if (mask & IN_IGNORED) {
    dir_by_wd_.erase(it);
    return;
  }
  const std::string dir = it->second;
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    // The parent's watch reports the path gone; only the root has no parent here.
    if (dir.empty()) spdlog::warn("directory watcher: {} was removed or moved", root_.string());
    return;
  }
  if (IsHidden(name)) return;
  const std::string path = Join(dir, name);
  if (mask & IN_ISDIR) {
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
      // Files may have appeared in the new directory before its watch was added: scan it.
      std::vector<FileStat> files;
      WatchTree(path, &files);
      for (const FileStat& f : files) handler_->OnFileReady(f.path);
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
      UnwatchTree(path);
      handler_->OnPathGone(path);
    }
    return;
  }
  if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
    struct stat st {};
    if (::lstat((root_ / path).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      handler_->OnFileReady(path);
    }
  } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
    handler_->OnPathGone(path);
  }
}

void DirectoryWatcher::WatchTree(const std::string& top, std::vector<FileStat>* files) {
  std::vector<std::string> pending = {top};
  while (!pending.empty()) {
    if (StopRequested()) return;
    std::string dir = std::move(pending.back());
    pending.pop_back();
    std::filesystem::path full = dir.empty() ? root_ : root_ / dir;
    // Watch first, then list: a file that arrives in between is seen by one or the other.
    int wd = ::inotify_add_watch(inotify_fd_, full.c_str(), kWatchMask);
    if (wd < 0) {
      // ENOENT/ENOTDIR: the directory went away again, which its parent's watch reports.
      if (errno != ENOENT && errno != ENOTDIR) {
        spdlog::warn("directory watcher: cannot watch {}: {}", full.string(), ErrnoText(errno));
      }
      continue;
    }
    dir_by_wd_[wd] = dir;
    std::error_code ec;
    std::filesystem::directory_iterator entries(full, ec);
    for (; !ec && entries != std::filesystem::directory_iterator(); entries.increment(ec)) {
      std::string name = entries->path().filename().string();
      if (IsHidden(name)) continue;
      std::string path = Join(dir, name);
      struct stat st {};
      if (::lstat(entries->path().c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        pending.push_back(std::move(path));
      } else if (S_ISREG(st.st_mode)) {
        // A file still being written is reported when its writer closes it (IN_CLOSE_WRITE:
        // its directory is watched by now).
        if (IsOpenForWriting(entries->path())) continue;
        int64_t mtime_ns =
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        files->push_back({std::move(path), static_cast<int64_t>(st.st_size), mtime_ns});
      }
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      spdlog::warn("directory watcher: cannot list {}: {}", full.string(), ec.message());
    }
  }
}

void DirectoryWatcher::UnwatchTree(const std::string& dir) {
  for (auto it = dir_by_wd_.begin(); it != dir_by_wd_.end();) {
    if (IsUnder(it->second, dir)) {
      ::inotify_rm_watch(inotify_fd_, it->first);
      it = dir_by_wd_.erase(it);
    } else {
      ++it;
    }
  }
}

void DirectoryWatcher::FullScan() {
  std::vector<FileStat> files;
  WatchTree("", &files);
  if (!StopRequested()) handler_->OnFullScan(files);
}

bool DirectoryWatcher::StopRequested() const {
  std::lock_guard lock(mu_);
  return stop_requested_;
}

}  // namespace loupe::store
