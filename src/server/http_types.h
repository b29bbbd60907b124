#pragma once
// Transport-neutral request/response types for loupe's HTTP handlers, so handlers are thin,
// testable functions and the HTTP library stays inside server/. Value types.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace loupe::server {

// Who may call a route. Enforced by auth (a later module); declared by every route now.
enum class Role { kPublic, kConsumer, kReviewer, kOperator, kAdmin };
std::string_view RoleName(Role role);

struct HttpRequest {
  std::string method;
  std::string path;
  std::vector<std::string> path_params;  // regex captures of the route pattern, decoded
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string principal = "anonymous";  // the authenticated caller, once auth exists

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

  static HttpResponse Json(int status, const nlohmann::json& body);
  static HttpResponse NoContent();
  // {"error":{"code":"InvalidArgument","message":"..."}} with the code's HTTP status.
  static HttpResponse Error(const Status& status);
};

// The one table mapping canonical codes to HTTP statuses.
int HttpStatusFor(StatusCode code);

}  // namespace loupe::server
