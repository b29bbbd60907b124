#pragma once
// OpenObjectStore: the one place a store spec becomes a backend. An empty spec is the local
// folder DATA/objects/ (the embedded default); "s3://bucket[/prefix]" is an S3-compatible
// bucket, reached at `s3_endpoint` (empty = AWS S3 in `s3_region`) with the credentials of
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "db/database.h"
#include "store/object_store.h"

namespace loupe::store {

struct StoreOptions {
  std::string spec;         // "" (local folder) or "s3://bucket[/prefix]"
  std::string s3_endpoint;  // "http://minio:9000"; empty = AWS S3
  std::string s3_region = "us-east-1";
  bool s3_path_style = true;  // "endpoint/bucket/key"; false = virtual-hosted "bucket.endpoint"
};

// Opens the store (not started: call Start). `listener` may be null.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StoreOptions& options,
                                                     const std::filesystem::path& data_dir,
                                                     db::Database& db, const Clock& clock,
                                                     ObjectListener* listener);

}  // namespace loupe::store
