// LocalObjectStore, the index (table `objects`): Register, the one path by which objects enter
// it; dropping rows of files that are gone; reconciling with the folder at start; retries of
// the watcher; and the reads it serves (Head, List). See local_object_store.h.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/sha256.h"
#include "store/local_object_store.h"
#include "store/object_index.h"
#include "store/posix_file.h"

namespace loupe::store {

Result<ObjectInfo> LocalObjectStore::Register(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  std::lock_guard lock(StripeFor(k));
  return RegisterLocked(k, nullptr);
}

Result<ObjectInfo> LocalObjectStore::RegisterLocked(const std::string& key,
                                                    const KnownContent* known) {
  const std::filesystem::path path = PathOf(key);
  posix::FileContent content;
  if (known != nullptr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return posix::ErrnoStatus(errno, "stat " + path.string());
    content.size = known->size;
    content.sha256 = known->sha256;
    content.mtime_ns = posix::MtimeNs(st);
  } else {
    Sha256 hasher;
    auto read = posix::ReadRegularFile(path, [&](std::string_view chunk) { hasher.Update(chunk); });
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
      info = index::InfoFromRow(*row);
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

Result<ObjectInfo> LocalObjectStore::Head(std::string_view key) const {
  return index::Head(db_, "objects", key);
}

Result<ListPage> LocalObjectStore::List(std::string_view prefix, std::string_view page_token,
                                        int max_keys) const {
  return index::List(db_, "objects", prefix, page_token, max_keys);
}

}  // namespace loupe::store
