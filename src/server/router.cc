#include "server/router.h"

#include <algorithm>
#include <cctype>

#include "core/check.h"

namespace loupe::server {
namespace {

// "/v1/parameters/([^/]+)/history" -> "/v1/parameters/{p1}/history".
std::string OpenApiPath(const std::string& pattern, int* params) {
  std::string out;
  int depth = 0;
  for (char c : pattern) {
    if (c == '(') {
      if (depth++ == 0) out += "{p" + std::to_string(++*params) + "}";
    } else if (c == ')') {
      --depth;
    } else if (depth == 0 && c != '\\') {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Router::Add(Route route) {
  for (const Route& r : routes_) {
    CHECK(!(r.method == route.method && r.pattern == route.pattern))
        << "duplicate route " << route.method << " " << route.pattern;
  }
  routes_.push_back(std::move(route));
}

nlohmann::json Router::OpenApi() const {
  nlohmann::json paths = nlohmann::json::object();
  for (const Route& r : routes_) {
    int n = 0;
    std::string path = OpenApiPath(r.pattern, &n);
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    nlohmann::json op = {
        {"summary", r.summary},
        {"x-loupe-role", std::string(RoleName(r.role))},
        {"x-loupe-pattern", r.pattern},
        {"responses",
         {{"default",
           {{"description", "JSON body; errors as {\"error\":{\"code\",\"message\"}}"}}}}}};
    nlohmann::json parameters = nlohmann::json::array();
    for (int i = 1; i <= n; ++i) {
      parameters.push_back({{"name", "p" + std::to_string(i)},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    if (r.refusal) {
      // A route of another protocol (AWS): its own error shapes, and roles checked per action.
      op["x-loupe-own-errors"] = true;
      op["responses"]["default"]["description"] = "the protocol's own bodies and error shapes";
    }
    paths[path][method] = op;
  }
  return {
      {"openapi", "3.0.3"}, {"info", {{"title", "loupe API"}, {"version", "1"}}}, {"paths", paths}};
}

}  // namespace loupe::server
