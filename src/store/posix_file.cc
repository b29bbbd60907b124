#include "store/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace loupe::store::posix {
namespace {

constexpr size_t kReadChunk = 1 << 20;

}  // namespace

Status ErrnoStatus(int err, const std::string& what) {
  std::string message = what + ": " + std::string(std::strerror(err));
  switch (err) {
    case ENOENT:
      return NotFoundError(std::move(message));
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
      return ResourceExhaustedError(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedError(std::move(message));
    case EINTR:
    case EAGAIN:
      return UnavailableError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

bool IsMissing(int err) { return err == ENOENT || err == ENOTDIR; }

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::Close() {
  int rc = ::close(fd_);
  fd_ = -1;
  return rc;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Status FsyncDir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.Get() < 0) return ErrnoStatus(errno, "open " + dir.string());
  if (::fsync(fd.Get()) != 0) return ErrnoStatus(errno, "fsync " + dir.string());
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write " + what);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<FileContent> ReadRegularFile(const std::filesystem::path& path,
                                    const std::function<void(std::string_view)>& sink) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.Get() < 0) {
    int err = errno;
    if (IsMissing(err) || err == ELOOP) return NotFoundError("no file " + path.string());
    return ErrnoStatus(err, "open " + path.string());
  }
  struct stat st {};
  if (::fstat(fd.Get(), &st) != 0) return ErrnoStatus(errno, "stat " + path.string());
  if (!S_ISREG(st.st_mode)) return NotFoundError("not a regular file: " + path.string());
  FileContent content;
  content.mtime_ns = MtimeNs(st);
  std::string buffer(kReadChunk, '\0');
  while (true) {
    ssize_t n = ::read(fd.Get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read " + path.string());
    }
    if (n == 0) break;
    content.size += n;
    sink(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  return content;
}

}  // namespace loupe::store::posix
