#pragma once
// S3Client: the S3 REST calls the S3 object store needs (PutObject with the content's SHA-256,
// multipart upload above a threshold, GetObject, HeadObject, DeleteObject, CopyObject,
// ListObjectsV2 with continuation tokens, HeadBucket), over libcurl, each request signed with
// SigV4 (aws/sigv4.h). Speaks to AWS S3 and to S3-compatible servers (MinIO, Ceph RGW, ...):
// path-style ("http://host/bucket/key") or virtual-hosted ("https://bucket.host/key").
//
// Transient failures (connection errors, 500, 503 SlowDown) are retried with back-off; the
// calls are idempotent. Errors map to loupe's codes: NoSuchKey/404 NotFound, 403
// PermissionDenied, 400 InvalidArgument, the rest Unavailable. Thread-safe (one curl handle per
// call).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "core/clock.h"
#include "core/result.h"

namespace loupe::store {

struct S3Options {
  // Base URL of the service: "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com".
  // Empty = AWS S3 in `region`.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  // Path-style addressing ("endpoint/bucket/key"), what most S3-compatible servers need.
  bool path_style = true;
  aws::Credentials credentials;
  // Objects above this size go up in parts of `part_size` bytes (S3's minimum part is 5 MiB).
  int64_t multipart_threshold = 8 << 20;
  int64_t part_size = 8 << 20;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{120000};
  int max_attempts = 4;
};

// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
aws::Credentials CredentialsFromEnvironment();

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;    // without quotes
  TimePoint modified;  // Last-Modified
  std::string sha256;  // the x-amz-meta-sha256 loupe stores with each object; empty if none
};

struct S3ListPage {
  std::vector<S3Object> objects;  // ordered by key (no sha256: listings don't carry metadata)
  std::string next_token;         // empty on the last page
};

class S3Client {
 public:
  // InvalidArgument for a bad endpoint or an empty bucket. Requests are signed with the system
  // clock's time (S3 refuses a skew of more than 15 minutes), never an injected one.
  static Result<std::unique_ptr<S3Client>> Create(S3Options options);

  // Stores `bytes` under `key` with metadata sha256 = `sha256_hex`; returns the ETag.
  Result<std::string> Put(std::string_view key, std::string_view bytes,
                          std::string_view sha256_hex) const;
  // The object's bytes; its metadata into `*meta` when given.
  Result<std::string> Get(std::string_view key, S3Object* meta = nullptr) const;
  Result<S3Object> Head(std::string_view key) const;
  // Ok also if the key did not exist (S3's rule).
  Status Delete(std::string_view key) const;
  // Server-side copy, metadata included; returns the new ETag.
  Result<std::string> Copy(std::string_view from, std::string_view to) const;
  // Keys starting with `prefix`, at most `max_keys` (1..1000), after `token`.
  Result<S3ListPage> List(std::string_view prefix, std::string_view token,
                          int max_keys = 1000) const;
  // Whether the bucket is reachable with these credentials (for /healthz).
  Status CheckBucket() const;

  const S3Options& options() const { return options_; }

  struct Request;
  struct Response;

 private:
  S3Client(S3Options options, std::string scheme, std::string host, std::string base_path);
  Result<Response> Send(const Request& request) const;
  Result<Response> SendOnce(const Request& request) const;
  Result<std::string> PutMultipart(std::string_view key, std::string_view bytes,
                                   std::string_view sha256_hex) const;

  const S3Options options_;
  const std::string scheme_;     // "http" or "https"
  const std::string host_;       // Host header (with the port unless it is the default)
  const std::string base_path_;  // "/bucket" (path style) or "" (virtual hosted)
};

}  // namespace loupe::store
