#pragma once
// MultipartUploads: S3 multipart uploads in progress (CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload). Parts live in the database until the upload
// completes, so any process of a cluster can take any part and the completion; the assembled
// object then goes to the object store through the one Put path (one ObjectCreated). Uploads
// untouched for a week are dropped when a new one starts. Thread-safe.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"

namespace loupe::aws {

// S3's limits: parts 1..10000; every part but the last at least 5 MiB.
inline constexpr int kMaxPartNumber = 10000;
inline constexpr size_t kMinPartBytes = size_t{5} * 1024 * 1024;
// loupe's own limits: an assembled object is held in memory once, so it is bounded; and a
// user keeps at most this many uploads open.
inline constexpr int64_t kMaxMultipartObjectBytes = int64_t{1} << 30;
inline constexpr int64_t kMaxOpenUploadsPerUser = 50;

// The ETag S3 clients see for `bytes`: the first 128 bits of its SHA-256, quoted (loupe's
// objects are addressed by SHA-256; this is not the MD5 AWS uses for single-part objects).
std::string ETagOf(std::string_view bytes);
std::string ETagOfHash(std::string_view sha256_hex);
// Base64 of the MD5 of `bytes`, to check a Content-MD5 header (OpenSSL).
std::string Md5Base64(std::string_view bytes);

class MultipartUploads {
 public:
  static Result<std::unique_ptr<MultipartUploads>> Open(db::Database& db, const Clock& clock);

  // A new upload id for `key`.
  Result<std::string> Create(const std::string& key, const std::string& initiator);
  // Stores part `number` (replacing an earlier one); returns its ETag. NoSuchUpload (NotFound)
  // for an unknown id or one of another key; InvalidArgument for a part number outside 1..10000.
  Result<std::string> PutPart(const std::string& upload_id, const std::string& key, int number,
                              std::string_view bytes);
  // The object the listed parts (ascending numbers, each with the ETag PutPart gave) make.
  // InvalidPart / InvalidPartOrder / EntityTooSmall (InvalidArgument) as S3 refuses them.
  Result<std::string> Assemble(const std::string& upload_id, const std::string& key,
                               const std::vector<std::pair<int, std::string>>& parts);
  // Assemble, and forget the upload in the same transaction (CompleteMultipartUpload): a
  // second Take of the same upload is NoSuchUpload.
  Result<std::string> Take(const std::string& upload_id, const std::string& key,
                           const std::vector<std::pair<int, std::string>>& parts);
  // Forgets the upload and its parts (on abort). NotFound when unknown.
  Status Remove(const std::string& upload_id, const std::string& key);

 private:
  MultipartUploads(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  Status CheckUpload(db::Transaction& tx, const std::string& upload_id, const std::string& key);
  Result<std::string> AssembleIn(db::Transaction& tx, const std::string& upload_id,
                                 const std::string& key,
                                 const std::vector<std::pair<int, std::string>>& parts);

  db::Database& db_;
  const Clock& clock_;
};

}  // namespace loupe::aws
