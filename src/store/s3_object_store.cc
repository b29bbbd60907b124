#include "store/s3_object_store.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/sha256.h"
#include "store/object_index.h"

namespace loupe::store {
namespace {

// The S3 store's schema: the index of the bucket's objects. `etag` is the bucket's ETag when
// the row was written, so the reconciler re-reads only objects whose ETag changed.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE s3_objects (
  key TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  etag TEXT NOT NULL
);
CREATE INDEX s3_objects_by_sha256 ON s3_objects (sha256);
)sql";

}  // namespace

Status ParseS3Url(std::string_view url, std::string* bucket, std::string* prefix) {
  if (!url.starts_with("s3://")) {
    return InvalidArgumentError("an S3 store is s3://bucket[/prefix], not '" + std::string(url) +
                                "'");
  }
  std::string_view rest = url.substr(5);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  size_t slash = rest.find('/');
  *bucket = std::string(rest.substr(0, slash));
  *prefix = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  if (bucket->empty()) return InvalidArgumentError("no bucket in '" + std::string(url) + "'");
  if (!prefix->empty()) RETURN_IF_ERROR(ValidateKey(*prefix).WithContext("S3 prefix"));
  return Status::Ok();
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(std::unique_ptr<S3Client> client,
                                                           S3StoreOptions options, db::Database& db,
                                                           const Clock& clock,
                                                           ObjectListener* listener) {
  RETURN_IF_ERROR(db.Migrate("store_s3", {{1, "the S3 object index", kSchemaV1}}));
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(client), std::move(options), db, clock, listener));
}

S3ObjectStore::S3ObjectStore(std::unique_ptr<S3Client> client, S3StoreOptions options,
                             db::Database& db, const Clock& clock, ObjectListener* listener)
    : client_(std::move(client)),
      options_(std::move(options)),
      db_(db),
      clock_(clock),
      listener_(listener) {}

S3ObjectStore::~S3ObjectStore() { Stop(); }

std::string S3ObjectStore::BucketKey(std::string_view key) const {
  return options_.prefix.empty() ? std::string(key) : options_.prefix + "/" + std::string(key);
}

std::mutex& S3ObjectStore::StripeFor(std::string_view key) const {
  return stripes_[std::hash<std::string_view>{}(key) % stripes_.size()];
}

Result<ObjectInfo> S3ObjectStore::Put(std::string_view key, std::string_view bytes) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  Known known{static_cast<int64_t>(bytes.size()), Sha256Hex(bytes), ""};
  std::lock_guard lock(StripeFor(k));
  ASSIGN_OR_RETURN(known.etag, client_->Put(BucketKey(k), bytes, known.sha256));
  return RegisterLocked(k, known);
}

Result<std::string> S3ObjectStore::Get(std::string_view key) const {
  RETURN_IF_ERROR(ValidateKey(key));
  return client_->Get(BucketKey(key));
}

Result<ObjectInfo> S3ObjectStore::Head(std::string_view key) const {
  return index::Head(db_, "s3_objects", key);
}

Result<ListPage> S3ObjectStore::List(std::string_view prefix, std::string_view page_token,
                                     int max_keys) const {
  return index::List(db_, "s3_objects", prefix, page_token, max_keys);
}

Status S3ObjectStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  std::lock_guard lock(StripeFor(k));
  auto indexed = Head(k);
  if (!indexed.ok() && indexed.status().code() != StatusCode::kNotFound) return indexed.status();
  if (!indexed.ok()) {
    // Not indexed yet; it may still be in the bucket (put there by another program).
    auto head = client_->Head(BucketKey(k));
    if (!head.ok()) return head.status();
  }
  RETURN_IF_ERROR(client_->Delete(BucketKey(k)));
  return DropRow(k);
}

Result<ObjectInfo> S3ObjectStore::Copy(std::string_view from, std::string_view to) {
  RETURN_IF_ERROR(ValidateKey(from));
  RETURN_IF_ERROR(ValidateKey(to));
  ASSIGN_OR_RETURN(ObjectInfo source, Head(from));
  const std::string k(to);
  std::lock_guard lock(StripeFor(k));
  Known known{source.size, source.sha256, ""};
  ASSIGN_OR_RETURN(known.etag, client_->Copy(BucketKey(from), BucketKey(k)));
  return RegisterLocked(k, known);
}

Result<ObjectInfo> S3ObjectStore::Register(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string k(key);
  std::lock_guard lock(StripeFor(k));
  auto head = client_->Head(BucketKey(k));
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound) RETURN_IF_ERROR(DropRow(k));
    return head.status();
  }
  Known known{head->size, head->sha256, head->etag};
  if (known.sha256.empty()) {
    // Put there by another program: read it once to learn its content hash.
    S3Object meta;
    ASSIGN_OR_RETURN(std::string bytes, client_->Get(BucketKey(k), &meta));
    known = {static_cast<int64_t>(bytes.size()), Sha256Hex(bytes), meta.etag};
  }
  return RegisterLocked(k, known);
}

Result<ObjectInfo> S3ObjectStore::RegisterStorageKey(std::string_view storage_key) {
  if (options_.prefix.empty()) return Register(storage_key);
  const std::string under = options_.prefix + "/";
  if (!storage_key.starts_with(under)) {
    return InvalidArgumentError("'" + std::string(storage_key) + "' is not under this store's " +
                                "prefix '" + under + "'");
  }
  return Register(storage_key.substr(under.size()));
}

Result<ObjectInfo> S3ObjectStore::RegisterLocked(const std::string& key, const Known& known) {
  ObjectInfo info;
  Status written = db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     tx.QueryOne("SELECT key, size, sha256, modified_ms, etag FROM s3_objects "
                                 "WHERE key = ?",
                                 {key}));
    if (row.has_value() && row->Text(2) == known.sha256) {
      info = index::InfoFromRow(*row);
      if (row->Text(4) != known.etag || row->Int(1) != known.size) {
        RETURN_IF_ERROR(tx.Exec("UPDATE s3_objects SET size = ?, etag = ? WHERE key = ?",
                                {known.size, known.etag, key})
                            .status());
        info.size = known.size;
      }
      return Status::Ok();
    }
    info.key = key;
    info.size = known.size;
    info.sha256 = known.sha256;
    info.modified = clock_.Now();
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO s3_objects (key, size, sha256, modified_ms, etag) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET size = excluded.size, "
                "sha256 = excluded.sha256, modified_ms = excluded.modified_ms, "
                "etag = excluded.etag",
                {key, known.size, known.sha256, ToUnixMillis(info.modified), known.etag})
            .status());
    if (listener_ != nullptr) return listener_->OnObjectCreated(tx, info);
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return info;
}

Status S3ObjectStore::DropRow(const std::string& key) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    return tx.Exec("DELETE FROM s3_objects WHERE key = ?", {key}).status();
  });
}

Result<ReconcileCounts> S3ObjectStore::Reconcile() {
  std::unordered_map<std::string, std::string> indexed;  // key -> etag
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    indexed.clear();
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query("SELECT key, etag FROM s3_objects"));
    for (const db::Row& row : rows) indexed.emplace(row.Text(0), row.Text(1));
    return Status::Ok();
  }));
  ReconcileCounts counts;
  const std::string list_prefix = options_.prefix.empty() ? "" : options_.prefix + "/";
  std::unordered_set<std::string> seen;
  std::string token;
  do {
    ASSIGN_OR_RETURN(S3ListPage page, client_->List(list_prefix, token));
    for (const S3Object& object : page.objects) {
      std::string key = object.key.substr(list_prefix.size());
      if (!ValidateKey(key).ok()) continue;  // not an object key of loupe's: left alone
      ++counts.listed;
      seen.insert(key);
      auto it = indexed.find(key);
      if (it != indexed.end() && it->second == object.etag) continue;
      auto registered = Register(key);
      if (registered.ok()) {
        ++counts.registered;
      } else if (registered.status().code() != StatusCode::kNotFound) {
        ++counts.failed;
        spdlog::warn("store: cannot register s3 object '{}' (will retry): {}", key,
                     registered.status().ToString());
      }
    }
    token = page.next_token;
  } while (!token.empty());
  for (const auto& [key, etag] : indexed) {
    if (seen.count(key) != 0) continue;
    // Gone from the listing; confirm before dropping (it may have been put since the list).
    std::lock_guard lock(StripeFor(key));
    auto head = client_->Head(BucketKey(key));
    if (head.ok()) continue;
    if (head.status().code() != StatusCode::kNotFound) {
      ++counts.failed;
      continue;
    }
    RETURN_IF_ERROR(DropRow(key));
    ++counts.dropped;
  }
  return counts;
}

Status S3ObjectStore::Health() const { return client_->CheckBucket(); }

Status S3ObjectStore::Start() {
  {
    std::lock_guard lock(loop_mu_);
    if (loop_.joinable()) return FailedPreconditionError("the S3 store is already started");
    stopping_ = false;
  }
  auto first = Reconcile();
  if (!first.ok()) return first.status().WithContext("reconciling the S3 store");
  spdlog::info("store: s3 bucket {} holds {} objects ({} registered now)",
               client_->options().bucket, first->listed, first->registered);
  std::lock_guard lock(loop_mu_);
  loop_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void S3ObjectStore::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void S3ObjectStore::Loop() {
  std::unique_lock lock(loop_mu_);
  while (!loop_cv_.wait_for(lock, options_.reconcile_interval, [this] { return stopping_; })) {
    lock.unlock();
    auto counts = Reconcile();
    if (!counts.ok()) {
      spdlog::warn("store: s3 reconcile failed: {}", counts.status().ToString());
    } else if (counts->registered > 0 || counts->dropped > 0) {
      spdlog::info("store: s3 reconcile registered {}, dropped {}", counts->registered,
                   counts->dropped);
    }
    lock.lock();
  }
}

}  // namespace loupe::store
