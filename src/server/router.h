#pragma once
// Router: loupe's route table. Every route declares its method, path pattern (a regex whose
// captures become path_params), the role it needs, and a one-line summary used by the
// OpenAPI document. Build the table at wiring time, then share it read-only (thread-safe).

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "server/http_types.h"

namespace loupe::server {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct Route {
  std::string method;   // GET, PUT, POST, DELETE, HEAD
  std::string pattern;  // e.g. "/v1/parameters/([^/]+)"
  Role role;
  std::string summary;
  Handler handler;
  // How the server words its own refusals of this route (401, 403) when the route speaks
  // another protocol (the AWS routes: JSON `__type` or S3 XML errors); unset = loupe's JSON.
  std::function<HttpResponse(const Status&)> refusal = {};
};

class Router {
 public:
  void Add(Route route);
  const std::vector<Route>& routes() const { return routes_; }
  // The OpenAPI 3 document describing every route; each operation carries the role it needs
  // as "x-loupe-role" and its path regex as "x-loupe-pattern" (for tests that walk the table),
  // and routes with their own refusals "x-loupe-own-errors": true.
  nlohmann::json OpenApi() const;

 private:
  std::vector<Route> routes_;
};

}  // namespace loupe::server
