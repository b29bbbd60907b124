#pragma once
// POSIX file helpers of LocalObjectStore: errno as a Status, a closing file descriptor, durable
// writes (write-all, fsync of a folder) and chunked reads of a regular file. Internal to
// store/; stateless functions, thread-safe.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace loupe::store::posix {

// `what: strerror(err)` with the code that fits `err` (NotFound for ENOENT, ResourceExhausted
// for a full disk or too many files, PermissionDenied, Unavailable for EINTR/EAGAIN, else
// Internal).
Status ErrnoStatus(int err, const std::string& what);

// Whether `err` means the path is not there (ENOENT, ENOTDIR).
bool IsMissing(int err);

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int Get() const { return fd_; }
  // Closes now, reporting the error (a deferred write error surfaces here).
  int Close();

 private:
  int fd_;
};

// A file's modification time in nanoseconds since the epoch.
int64_t MtimeNs(const struct stat& st);

// fsyncs the folder `dir`, making renames and new entries in it durable.
Status FsyncDir(const std::filesystem::path& dir);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); `what` names the file.
Status WriteAll(int fd, std::string_view bytes, const std::string& what);

// A regular file's size and modification time, as read (sha256 is for the caller to fill).
struct FileContent {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
};

// Reads the regular file at `path` (not following a symlink), passing its bytes to `sink`
// chunk by chunk. NotFound if it is missing or not a regular file.
Result<FileContent> ReadRegularFile(const std::filesystem::path& path,
                                    const std::function<void(std::string_view)>& sink);

}  // namespace loupe::store::posix
