#include "store/local_object_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/sha256.h"

namespace loupe::store {
namespace {

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
constexpr size_t kReadChunk = 1 << 20;

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

Status ErrnoStatus(int err, const std::string& what) {
  std::string message = what + ": " + ErrnoText(err);
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

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int Get() const { return fd_; }
  // Closes now, reporting the error (a deferred write error surfaces here).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

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

bool IsMissing(int err) { return err == ENOENT || err == ENOTDIR; }

// A regular file's size, modification time and content hash, as read.
struct FileContent {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
};

// Reads the regular file at `path`, passing its bytes to `sink` chunk by chunk. NotFound if it
// is missing or not a regular file.
Result<FileContent> ReadFile(const std::filesystem::path& path,
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

// The smallest string greater than every string that starts with `prefix`, if there is one.
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto last = static_cast<unsigned char>(s.back());
    if (last < 0xFF) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return std::nullopt;
}

ObjectInfo InfoFromRow(const db::Row& row) {
  ObjectInfo info;
  info.key = row.Text(0);
  info.size = row.Int(1);
  info.sha256 = row.Text(2);
  info.modified = FromUnixMillis(row.Int(3));
  return info;
}

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

Result<ObjectInfo> LocalObjectStore::Register(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  std::lock_guard lock(StripeFor(k));
  return RegisterLocked(k, nullptr);
}

Result<ObjectInfo> LocalObjectStore::RegisterLocked(const std::string& key,
                                                    const KnownContent* known) {
  const std::filesystem::path path = PathOf(key);
  FileContent content;
  if (known != nullptr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + path.string());
    content.size = known->size;
    content.sha256 = known->sha256;
    content.mtime_ns = MtimeNs(st);
  } else {
    Sha256 hasher;
    auto read = ReadFile(path, [&](std::string_view chunk) { hasher.Update(chunk); });
    if (!read.ok()) {
      if (read.status().code() == StatusCode::kNotFound) {
        RETURN_IF_ERROR(DropIfMissingLocked(key));
      }
      return read.status();
    }
    content = std::move(read).value();
    content.sha256 = hasher.HexDigest();
  }

  ObjectInfo info;
  Status written = db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        tx.QueryOne("SELECT key, size, sha256, modified_ms, file_mtime_ns FROM objects "
                    "WHERE key = ?",
                    {key}));
    if (row.has_value() && row->Text(2) == content.sha256) {
      info = InfoFromRow(*row);
      if (row->Int(1) != content.size || row->Int(4) != content.mtime_ns) {
        RETURN_IF_ERROR(tx.Exec("UPDATE objects SET size = ?, file_mtime_ns = ? WHERE key = ?",
                                {content.size, content.mtime_ns, key})
                            .status());
        info.size = content.size;
      }
      return Status::Ok();
    }
    info.key = key;
    info.size = content.size;
    info.sha256 = content.sha256;
    info.modified = clock_.Now();
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO objects (key, size, sha256, modified_ms, file_mtime_ns) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET size = excluded.size, "
                "sha256 = excluded.sha256, modified_ms = excluded.modified_ms, "
                "file_mtime_ns = excluded.file_mtime_ns",
                {key, content.size, content.sha256, ToUnixMillis(info.modified), content.mtime_ns})
            .status());
    if (listener_ != nullptr) return listener_->OnObjectCreated(tx, info);
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return info;
}

Status LocalObjectStore::DropIfMissingLocked(const std::string& key) {
  struct stat st {};
  if (::lstat(PathOf(key).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return Status::Ok();
  return db_.Write([&](db::Transaction& tx) -> Status {
    return tx.Exec("DELETE FROM objects WHERE key = ?", {key}).status();
  });
}

void LocalObjectStore::DropMissingUnder(const std::string& path) {
  std::vector<std::string> keys;
  Status s = db_.Read([&](db::Transaction& tx) -> Status {
    // '0' follows '/': the keys in [path/, path0) are exactly those under path/.
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT key FROM objects WHERE key = ? OR (key >= ? AND key < ?)",
                              {path, path + "/", path + "0"}));
    for (const db::Row& row : rows) keys.push_back(row.Text(0));
    return Status::Ok();
  });
  for (const std::string& key : keys) {
    if (s.ok()) {
      std::lock_guard lock(StripeFor(key));
      s = DropIfMissingLocked(key);
    }
  }
  if (!s.ok()) spdlog::error("object store: cannot drop '{}': {}", path, s.ToString());
}

void LocalObjectStore::Reconcile(const std::vector<DirectoryWatcher::FileStat>& files) {
  struct Indexed {
    int64_t size;
    int64_t mtime_ns;
  };
  std::unordered_map<std::string, Indexed> indexed;
  Status s = db_.Read([&](db::Transaction& tx) -> Status {
    indexed.clear();
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query("SELECT key, size, file_mtime_ns FROM objects"));
    for (const db::Row& row : rows) indexed[row.Text(0)] = {row.Int(1), row.Int(2)};
    return Status::Ok();
  });
  if (!s.ok()) {
    spdlog::error("object store: cannot read the index: {}", s.ToString());
    return;
  }
  std::unordered_set<std::string> seen;
  for (const DirectoryWatcher::FileStat& file : files) {
    if (!ValidateKey(file.path).ok()) continue;
    seen.insert(file.path);
    auto it = indexed.find(file.path);
    if (it != indexed.end() && it->second.size == file.size &&
        it->second.mtime_ns == file.mtime_ns) {
      continue;
    }
    RegisterOrRetryLater(file.path);
  }
  // Rows whose files were deleted while nobody watched (the scan skips hidden names, so check
  // the file itself before dropping a row).
  for (const auto& [key, unused] : indexed) {
    if (seen.count(key) != 0) continue;
    std::lock_guard lock(StripeFor(key));
    if (Status drop = DropIfMissingLocked(key); !drop.ok()) {
      spdlog::error("object store: cannot drop '{}': {}", key, drop.ToString());
    }
  }
}

void LocalObjectStore::RegisterOrRetryLater(const std::string& key) {
  auto info = Register(key);
  if (info.ok() || info.status().code() == StatusCode::kNotFound) {
    retry_keys_.erase(key);
    return;
  }
  if (retry_keys_.insert(key).second) {
    spdlog::warn("object store: cannot register '{}' (will retry): {}", key,
                 info.status().ToString());
  }
}

bool LocalObjectStore::RetryPending() {
  std::vector<std::string> keys(retry_keys_.begin(), retry_keys_.end());
  for (const std::string& key : keys) RegisterOrRetryLater(key);
  return !retry_keys_.empty();
}

Result<std::string> LocalObjectStore::Get(std::string_view key) const {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string bytes;
  auto read = ReadFile(PathOf(key), [&](std::string_view chunk) { bytes.append(chunk); });
  if (!read.ok()) {
    if (read.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no object '" + std::string(key) + "'");
    }
    return read.status();
  }
  return bytes;
}

Result<ObjectInfo> LocalObjectStore::Head(std::string_view key) const {
  RETURN_IF_ERROR(ValidateKey(key));
  std::optional<ObjectInfo> info;
  Status read = db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     tx.QueryOne("SELECT key, size, sha256, modified_ms FROM objects WHERE key = ?",
                                 {std::string(key)}));
    if (row.has_value()) info = InfoFromRow(*row);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  if (!info.has_value()) return NotFoundError("no object '" + std::string(key) + "'");
  return *std::move(info);
}

Result<ListPage> LocalObjectStore::List(std::string_view prefix, std::string_view page_token,
                                        int max_keys) const {
  if (max_keys < 1 || max_keys > 1000) {
    return InvalidArgumentError("max_keys must be 1..1000, not " + std::to_string(max_keys));
  }
  std::string sql = "SELECT key, size, sha256, modified_ms FROM objects WHERE key >= ? AND key > ?";
  db::Params params = {std::string(prefix), std::string(page_token)};
  if (auto upper = PrefixUpperBound(prefix); upper.has_value()) {
    sql += " AND key < ?";
    params.emplace_back(*std::move(upper));
  }
  sql += " ORDER BY key LIMIT ?";
  params.emplace_back(static_cast<int64_t>(max_keys) + 1);
  ListPage page;
  Status read = db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(sql, params));
    page.objects.clear();
    for (const db::Row& row : rows) page.objects.push_back(InfoFromRow(row));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  if (page.objects.size() > static_cast<size_t>(max_keys)) {
    page.objects.resize(static_cast<size_t>(max_keys));
    page.next_page_token = page.objects.back().key;
  }
  return page;
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
  } else if (!IsMissing(errno) && errno != EISDIR) {
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
