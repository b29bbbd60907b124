#include "aws/multipart.h"

#include <openssl/evp.h>
#include <sodium.h>

#include "core/random.h"
#include "core/sha256.h"

namespace loupe::aws {
namespace {

constexpr int64_t kStaleMillis = int64_t{7} * 24 * 3600 * 1000;

const std::vector<db::Migration>& Migrations() {
  static const std::vector<db::Migration> kMigrations = {{1, "multipart uploads", R"sql(
CREATE TABLE aws_multipart_uploads (
  upload_id TEXT PRIMARY KEY,
  object_key TEXT NOT NULL,
  initiator TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE aws_multipart_parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
)sql"}};
  return kMigrations;
}

Status NoSuchUpload(const std::string& id) {
  return NotFoundError("NoSuchUpload: no multipart upload '" + id +
                       "' for this key (it was completed, aborted or never started)");
}

}  // namespace

std::string ETagOfHash(std::string_view sha256_hex) {
  return "\"" + std::string(sha256_hex.substr(0, 32)) + "\"";
}

std::string ETagOf(std::string_view bytes) { return ETagOfHash(Sha256Hex(bytes)); }

std::string Md5Base64(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr);
  std::string out(sodium_base64_ENCODED_LEN(16, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), digest, len, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

Result<std::unique_ptr<MultipartUploads>> MultipartUploads::Open(db::Database& db,
                                                                 const Clock& clock) {
  RETURN_IF_ERROR(db.Migrate("aws", Migrations()));
  return std::unique_ptr<MultipartUploads>(new MultipartUploads(db, clock));
}

Result<std::string> MultipartUploads::Create(const std::string& key, const std::string& initiator) {
  std::string id = RandomHex(16);
  int64_t now = ToUnixMillis(clock_.Now());
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec("DELETE FROM aws_multipart_parts WHERE upload_id IN (SELECT upload_id "
                            "FROM aws_multipart_uploads WHERE created_ms < ?)",
                            {now - kStaleMillis})
                        .status());
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM aws_multipart_uploads WHERE created_ms < ?", {now - kStaleMillis})
            .status());
    return tx
        .Exec(
            "INSERT INTO aws_multipart_uploads (upload_id, object_key, initiator, created_ms) "
            "VALUES (?, ?, ?, ?)",
            {id, key, initiator, now})
        .status();
  }));
  return id;
}

Status MultipartUploads::CheckUpload(db::Transaction& tx, const std::string& upload_id,
                                     const std::string& key) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT object_key FROM aws_multipart_uploads WHERE "
                                         "upload_id = ?",
                                         {upload_id}));
  if (!row || row->Text(0) != key) return NoSuchUpload(upload_id);
  return Status::Ok();
}

Result<std::string> MultipartUploads::PutPart(const std::string& upload_id, const std::string& key,
                                              int number, std::string_view bytes) {
  if (number < 1 || number > kMaxPartNumber) {
    return InvalidArgumentError("InvalidArgument: partNumber must be an integer in [1, 10000]");
  }
  std::string etag = ETagOf(bytes);
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(CheckUpload(tx, upload_id, key));
    ASSIGN_OR_RETURN(auto others, tx.QueryOne("SELECT COALESCE(SUM(size), 0) FROM "
                                              "aws_multipart_parts WHERE upload_id = ? AND "
                                              "part_number <> ?",
                                              {upload_id, int64_t{number}}));
    if (others && others->Int(0) + static_cast<int64_t>(bytes.size()) > kMaxMultipartObjectBytes) {
      return Status(StatusCode::kPayloadTooLarge,
                    "EntityTooLarge: a multipart object may hold at most 1 GiB here");
    }
    RETURN_IF_ERROR(tx.Exec("DELETE FROM aws_multipart_parts WHERE upload_id = ? AND "
                            "part_number = ?",
                            {upload_id, int64_t{number}})
                        .status());
    return tx
        .Exec(
            "INSERT INTO aws_multipart_parts (upload_id, part_number, etag, size, bytes) "
            "VALUES (?, ?, ?, ?, ?)",
            {upload_id, int64_t{number}, etag, static_cast<int64_t>(bytes.size()),
             db::Blob{std::string(bytes)}})
        .status();
  }));
  return etag;
}

Result<std::string> MultipartUploads::AssembleIn(
    db::Transaction& tx, const std::string& upload_id, const std::string& key,
    const std::vector<std::pair<int, std::string>>& parts) {
  if (parts.empty()) {
    return InvalidArgumentError("MalformedXML: CompleteMultipartUpload lists no parts");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].first <= parts[i - 1].first) {
      return InvalidArgumentError("InvalidPartOrder: parts must be listed in ascending order");
    }
  }
  std::string object;
  RETURN_IF_ERROR(CheckUpload(tx, upload_id, key));
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& [number, etag] = parts[i];
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT etag, bytes FROM aws_multipart_parts WHERE "
                                           "upload_id = ? AND part_number = ?",
                                           {upload_id, int64_t{number}}));
    std::string want = etag;
    if (want.empty() || want.front() != '"') want = '"' + etag + '"';
    if (!row || row->Text(0) != want) {
      return InvalidArgumentError("InvalidPart: part " + std::to_string(number) +
                                  " was not uploaded or its ETag differs");
    }
    const std::string& bytes = row->Bytes(1);
    if (i + 1 < parts.size() && bytes.size() < kMinPartBytes) {
      return InvalidArgumentError(
          "EntityTooSmall: every part but the last must be at least "
          "5 MiB; part " +
          std::to_string(number) + " is " + std::to_string(bytes.size()) + " bytes");
    }
    object += bytes;
  }
  return object;
}

Result<std::string> MultipartUploads::Assemble(
    const std::string& upload_id, const std::string& key,
    const std::vector<std::pair<int, std::string>>& parts) {
  std::string object;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(object, AssembleIn(tx, upload_id, key, parts));
    return Status::Ok();
  }));
  return object;
}

Result<std::string> MultipartUploads::Take(const std::string& upload_id, const std::string& key,
                                           const std::vector<std::pair<int, std::string>>& parts) {
  std::string object;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(object, AssembleIn(tx, upload_id, key, parts));
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM aws_multipart_parts WHERE upload_id = ?", {upload_id}).status());
    return tx.Exec("DELETE FROM aws_multipart_uploads WHERE upload_id = ?", {upload_id}).status();
  }));
  return object;
}

Status MultipartUploads::Remove(const std::string& upload_id, const std::string& key) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(CheckUpload(tx, upload_id, key));
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM aws_multipart_parts WHERE upload_id = ?", {upload_id}).status());
    return tx.Exec("DELETE FROM aws_multipart_uploads WHERE upload_id = ?", {upload_id}).status();
  });
}

}  // namespace loupe::aws
