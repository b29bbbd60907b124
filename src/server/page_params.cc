#include "server/page_params.h"

namespace loupe::server {

Result<PageParams> ParsePageParams(const HttpRequest& req, int default_limit, int max_limit) {
  ASSIGN_OR_RETURN(int64_t after, IntQueryParam(req, "after", 0, 0, INT64_MAX));
  ASSIGN_OR_RETURN(int64_t limit, IntQueryParam(req, "limit", default_limit, 1, max_limit));
  return PageParams{after, static_cast<int>(limit)};
}

}  // namespace loupe::server
