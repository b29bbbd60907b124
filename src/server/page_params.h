#pragma once
// PageParams: the paging query of list routes that page by id, `?after=<id>&limit=<n>`, parsed
// the same way by each of them (events, notifications, dead letters, execution history).
// Value type.

#include <cstdint>

#include "core/result.h"
#include "server/http_types.h"

namespace loupe::server {

struct PageParams {
  int64_t after = 0;  // only items after this id; >= 0; 0 when absent
  int limit = 0;      // at most this many; in [1, max_limit]; default_limit when absent
};

// ?after= and ?limit= of `req` (after first); InvalidArgument naming the parameter and its
// range ("limit must be an integer in [1, 1000]").
Result<PageParams> ParsePageParams(const HttpRequest& req, int default_limit = 100,
                                   int max_limit = 1000);

}  // namespace loupe::server
