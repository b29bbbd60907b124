#include "store/open.h"

#include "store/local_object_store.h"
#include "store/s3_object_store.h"

namespace loupe::store {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const StoreOptions& options,
                                                     const std::filesystem::path& data_dir,
                                                     db::Database& db, const Clock& clock,
                                                     ObjectListener* listener) {
  if (options.spec.empty()) {
    ASSIGN_OR_RETURN(auto local, LocalObjectStore::Open(data_dir, db, clock, listener));
    return std::unique_ptr<ObjectStore>(std::move(local));
  }
  S3Options s3;
  S3StoreOptions store_options;
  RETURN_IF_ERROR(ParseS3Url(options.spec, &s3.bucket, &store_options.prefix));
  s3.endpoint = options.s3_endpoint;
  s3.region = options.s3_region;
  s3.path_style = options.s3_path_style;
  s3.credentials = CredentialsFromEnvironment();
  if (s3.credentials.access_key_id.empty() || s3.credentials.secret_access_key.empty()) {
    return InvalidArgumentError(
        "an S3 store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
  }
  ASSIGN_OR_RETURN(auto client, S3Client::Create(std::move(s3)));
  ASSIGN_OR_RETURN(auto bucket, S3ObjectStore::Open(std::move(client), std::move(store_options), db,
                                                    clock, listener));
  return std::unique_ptr<ObjectStore>(std::move(bucket));
}

}  // namespace loupe::store
