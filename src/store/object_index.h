#pragma once
// The reads every ObjectStore serves from its index table in the database (the local store's
// `objects`, the S3 store's `s3_objects`; both have key, size, sha256, modified_ms): Head and
// List in key order, so listings are the same whatever the backend.

#include <optional>
#include <string>
#include <string_view>

#include "db/database.h"
#include "store/object_store.h"

namespace loupe::store::index {

// An ObjectInfo from the columns key, size, sha256, modified_ms (in that order).
ObjectInfo InfoFromRow(const db::Row& row);

// NotFound when `table` has no row for `key`.
Result<ObjectInfo> Head(const db::Database& db, std::string_view table, std::string_view key);

// Keys of `table` starting with `prefix`, after `page_token`, at most `max_keys` (1..1000).
Result<ListPage> List(const db::Database& db, std::string_view table, std::string_view prefix,
                      std::string_view page_token, int max_keys);

}  // namespace loupe::store::index
