// LocalObjectStore: opening the folders and the schema, the watcher's handler, and the file
// operations (Put, Get, Delete, Copy). The index (Register, reconciling, Head, List) is in
// local_object_index.cc; the POSIX helpers in posix_file.h.
#include "store/local_object_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <utility>

#include "core/sha256.h"
#include "store/posix_file.h"

namespace loupe::store {
namespace {

using posix::ErrnoStatus;
using posix::Fd;
using posix::FsyncDir;
using posix::WriteAll;

// The store's schema. `file_mtime_ns` is the file's modification time when it was last
// registered, so the start-up scan re-hashes only files whose size or mtime changed. The primary
// key's index serves prefix listing (a key range); the sha256 index serves duplicate look-ups.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE objects (
  key TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  file_mtime_ns INTEGER NOT NULL
);
CREATE INDEX objects_by_sha256 ON objects (sha256);
)sql";

constexpr std::string_view kTempPrefix = "put-";

}  // namespace

// Forwards the watcher's reports to the store (on the watcher thread).
class LocalObjectStore::WatchHandler final : public DirectoryWatcher::Handler {
 public:
  explicit WatchHandler(LocalObjectStore& store) : store_(store) {}

  void OnFullScan(const std::vector<DirectoryWatcher::FileStat>& files) override {
    store_.Reconcile(files);
  }

  void OnFileReady(const std::string& path) override {
    if (!ValidateKey(path).ok()) return;  // not an object key: leave the file alone
    store_.RegisterOrRetryLater(path);
  }

  void OnPathGone(const std::string& path) override { store_.DropMissingUnder(path); }

  bool RetryPending() override { return store_.RetryPending(); }

 private:
  LocalObjectStore& store_;
};

LocalObjectStore::LocalObjectStore(const std::filesystem::path& data_dir, db::Database& db,
                                   const Clock& clock, ObjectListener* listener)
    : objects_dir_(data_dir / "objects"),
      tmp_dir_(data_dir / "tmp"),
      db_(db),
      clock_(clock),
      listener_(listener),
      handler_(std::make_unique<WatchHandler>(*this)),
      watcher_(std::make_unique<DirectoryWatcher>(objects_dir_, handler_.get())) {}

LocalObjectStore::~LocalObjectStore() { Stop(); }

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(
    const std::filesystem::path& data_dir, db::Database& db, const Clock& clock,
    ObjectListener* listener) {
  std::unique_ptr<LocalObjectStore> store(new LocalObjectStore(data_dir, db, clock, listener));
  for (const auto& dir : {store->objects_dir_, store->tmp_dir_}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
  }
  // Temporary files of Puts that a crash interrupted: never renamed, so never objects.
  std::error_code ec;
  std::filesystem::directory_iterator it(store->tmp_dir_, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().starts_with(kTempPrefix)) {
      std::error_code remove_ec;
      std::filesystem::remove(it->path(), remove_ec);
    }
  }
  RETURN_IF_ERROR(db.Migrate("store", {{1, "object index", kSchemaV1}}));
  return store;
}

std::filesystem::path LocalObjectStore::PathOf(std::string_view key) const {
  return objects_dir_ / std::filesystem::path(std::string(key));
}

std::mutex& LocalObjectStore::StripeFor(std::string_view key) const {
  return stripes_[std::hash<std::string_view>()(key) % stripes_.size()];
}

Result<ObjectInfo> LocalObjectStore::Put(std::string_view key, std::string_view bytes) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  const std::filesystem::path path = PathOf(k);

  // Parent folders, each made durable in its own parent.
  std::filesystem::path dir = objects_dir_;
  std::string rel;
  for (const auto& segment : std::filesystem::path(k).parent_path()) {
    rel += rel.empty() ? segment.string() : "/" + segment.string();
    std::filesystem::path next = dir / segment;
    if (::mkdir(next.c_str(), 0755) == 0) {
      RETURN_IF_ERROR(FsyncDir(dir));
    } else if (errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir " + next.string());
    } else {
      struct stat st {};
      if (::stat(next.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return FailedPreconditionError(
            fmt::format("cannot store '{}': '{}' is an object, not a folder", k, rel));
      }
    }
    dir = next;
  }

  // Write and fsync a temporary file on the same file system.
  std::string temp = (tmp_dir_ / (std::string(kTempPrefix) + "XXXXXX")).string();
  Fd fd(::mkstemp(temp.data()));
  if (fd.Get() < 0) return ErrnoStatus(errno, "create temporary file in " + tmp_dir_.string());
  auto discard = [&](Status s) {
    ::unlink(temp.c_str());
    return s;
  };
  if (::fchmod(fd.Get(), 0644) != 0) return discard(ErrnoStatus(errno, "chmod " + temp));
  if (Status s = WriteAll(fd.Get(), bytes, temp); !s.ok()) return discard(s);
  if (::fsync(fd.Get()) != 0) return discard(ErrnoStatus(errno, "fsync " + temp));
  if (fd.Close() != 0) return discard(ErrnoStatus(errno, "close " + temp));

  KnownContent known{static_cast<int64_t>(bytes.size()), Sha256Hex(bytes)};
  std::lock_guard lock(StripeFor(k));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
      return discard(FailedPreconditionError("cannot store '" + k + "': it is a folder"));
    }
    return discard(ErrnoStatus(err, "rename to " + path.string()));
  }
  RETURN_IF_ERROR(FsyncDir(path.parent_path()));
  return RegisterLocked(k, &known);
}

Result<std::string> LocalObjectStore::Get(std::string_view key) const {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string bytes;
  auto read =
      posix::ReadRegularFile(PathOf(key), [&](std::string_view chunk) { bytes.append(chunk); });
  if (!read.ok()) {
    if (read.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no object '" + std::string(key) + "'");
    }
    return read.status();
  }
  return bytes;
}

Status LocalObjectStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  const std::filesystem::path path = PathOf(k);
  std::lock_guard lock(StripeFor(k));
  bool removed_file = false;
  if (::unlink(path.c_str()) == 0) {
    removed_file = true;
    RETURN_IF_ERROR(FsyncDir(path.parent_path()));
  } else if (!posix::IsMissing(errno) && errno != EISDIR) {
    return ErrnoStatus(errno, "unlink " + path.string());
  }
  int64_t removed_rows = 0;
  Status written = db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(removed_rows, tx.Exec("DELETE FROM objects WHERE key = ?", {k}));
    return Status::Ok();
  });
  if (!written.ok()) return written;
  if (!removed_file && removed_rows == 0) return NotFoundError("no object '" + k + "'");
  return Status::Ok();
}

Result<ObjectInfo> LocalObjectStore::Copy(std::string_view from, std::string_view to) {
  RETURN_IF_ERROR(ValidateKey(to));
  ASSIGN_OR_RETURN(std::string bytes, Get(from));
  return Put(to, bytes);
}

Status LocalObjectStore::Start() { return watcher_->Start(); }

void LocalObjectStore::Stop() { watcher_->Stop(); }

Status LocalObjectStore::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  return watcher_->WaitIdle(deadline);
}

}  // namespace loupe::store
