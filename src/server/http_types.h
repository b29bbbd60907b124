#pragma once
// Transport-neutral request/response types for loupe's HTTP handlers, so handlers are thin,
// testable functions and the HTTP library stays inside server/. Value types.

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/role.h"

namespace loupe::server {

// Every route declares the Role (core/role.h) it needs; HttpServer asks its Authenticator who
// the caller is and refuses callers whose role does not allow the route's (401/403). Role is
// part of the route table's vocabulary, so server re-exports it (server::Role).
using loupe::Role;

struct HttpRequest {
  std::string method;
  std::string path;        // decoded
  std::string raw_target;  // the request target as sent: encoded path and query (for SigV4)
  std::vector<std::string> path_params;  // regex captures of the route pattern, decoded
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_addr;  // the client's IP address, as the server saw it
  // The authenticated caller, filled in by the server's Authenticator before the handler
  // runs: user name ("anonymous" when none), role, and the teams (workforces) it belongs to.
  std::string principal = "anonymous";
  Role role = Role::kPublic;
  std::vector<std::string> teams;

  std::optional<std::string> QueryParam(std::string_view name) const;
  std::string Header(std::string_view lower_name) const;
  // Parses the body as a JSON object; InvalidArgument with the parser's message otherwise.
  Result<nlohmann::json> JsonBody() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed body (server-sent events): when set, `body` is ignored and the server sends
  // the response chunked, calling `stream` again and again. Each call writes zero or more
  // pieces through `write` (which returns false once the client is gone) and returns true to
  // be called again or false to end the response. The server ends the response itself when
  // it stops, between calls, so a call should return within about a second. Whatever the
  // function captures lives until the response ends.
  using StreamWriter = std::function<bool(std::string_view piece)>;
  std::function<bool(const StreamWriter& write)> stream;

  static HttpResponse Json(int status, const nlohmann::json& body);
  static HttpResponse NoContent();
  // {"error":{"code":"InvalidArgument","message":"..."}} with the code's HTTP status.
  static HttpResponse Error(const Status& status);
};

// Query parameter `name` as an integer in [min, max]; `fallback` when absent or empty;
// InvalidArgument naming the range otherwise. (`text` form: for headers such as Last-Event-ID.)
Result<int64_t> IntQueryParam(const HttpRequest& req, std::string_view name, int64_t fallback,
                              int64_t min, int64_t max);
Result<int64_t> ParseIntInRange(const std::optional<std::string>& text, std::string_view name,
                                int64_t fallback, int64_t min, int64_t max);

// The media type of an object from its key's extension (image/jpeg, image/png, image/webp,
// application/json; application/octet-stream otherwise).
std::string ContentTypeForKey(std::string_view key);

// The one table mapping canonical codes to HTTP statuses.
int HttpStatusFor(StatusCode code);

}  // namespace loupe::server
