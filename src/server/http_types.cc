#include "server/http_types.h"

#include <array>
#include <cctype>
#include <charconv>

#include "server/authenticator.h"

namespace loupe::server {

bool IsUnsafeMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

Result<int64_t> ParseIntInRange(const std::optional<std::string>& text, std::string_view name,
                                int64_t fallback, int64_t min, int64_t max) {
  if (!text || text->empty()) return fallback;
  int64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end || v < min || v > max) {
    return InvalidArgumentError(std::string(name) + " must be an integer in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

Result<int64_t> IntQueryParam(const HttpRequest& req, std::string_view name, int64_t fallback,
                              int64_t min, int64_t max) {
  return ParseIntInRange(req.QueryParam(name), name, fallback, min, max);
}

std::string ContentTypeForKey(std::string_view key) {
  auto dot = key.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(key.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "png") return "image/png";
  if (ext == "webp") return "image/webp";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

std::optional<std::string> HttpRequest::QueryParam(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

Result<nlohmann::json> HttpRequest::JsonBody() const {
  if (body.empty()) return InvalidArgumentError("request body must be a JSON object");
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgumentError(std::string("malformed JSON: ") + e.what());
  }
  if (!parsed.is_object()) return InvalidArgumentError("request body must be a JSON object");
  return parsed;
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::NoContent() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

HttpResponse HttpResponse::Error(const Status& status) {
  return Json(
      HttpStatusFor(status.code()),
      {{"error",
        {{"code", std::string(StatusCodeName(status.code()))}, {"message", status.message()}}}});
}

int HttpStatusFor(StatusCode code) {
  constexpr std::array<std::pair<StatusCode, int>, 18> kTable = {{
      {StatusCode::kOk, 200},
      {StatusCode::kCancelled, 499},
      {StatusCode::kUnknown, 500},
      {StatusCode::kInvalidArgument, 400},
      {StatusCode::kDeadlineExceeded, 504},
      {StatusCode::kNotFound, 404},
      {StatusCode::kAlreadyExists, 409},
      {StatusCode::kPermissionDenied, 403},
      {StatusCode::kResourceExhausted, 429},
      {StatusCode::kFailedPrecondition, 409},
      {StatusCode::kAborted, 409},
      {StatusCode::kOutOfRange, 400},
      {StatusCode::kUnimplemented, 501},
      {StatusCode::kInternal, 500},
      {StatusCode::kUnavailable, 503},
      {StatusCode::kDataLoss, 500},
      {StatusCode::kUnauthenticated, 401},
      {StatusCode::kPayloadTooLarge, 413},
  }};
  for (const auto& [c, http] : kTable) {
    if (c == code) return http;
  }
  return 500;
}

}  // namespace loupe::server
