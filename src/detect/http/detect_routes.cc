#include "detect/http/detect_routes.h"

#include <charconv>
#include <cmath>

namespace loupe::detect {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Router;

Result<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = value(c);
    if (v < 0) return InvalidArgumentError("Image.Bytes is not valid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Result<double> ParseNumber(const std::string& text, const char* name) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return InvalidArgumentError(std::string(name) + " must be a number");
  }
  return v;
}

Result<int> ParseInt(const std::string& text, const char* name) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return InvalidArgumentError(std::string(name) + " must be an integer");
  }
  return v;
}

}  // namespace

Result<DetectRequest> ParseDetectRequest(const HttpRequest& req) {
  DetectRequest out;
  std::string type = req.Header("content-type");
  if (type.rfind("image/", 0) == 0 || type == "application/octet-stream") {
    out.image_bytes = req.body;
    if (auto v = req.QueryParam("MinConfidence")) {
      ASSIGN_OR_RETURN(out.min_confidence, ParseNumber(*v, "MinConfidence"));
    }
    if (auto v = req.QueryParam("MaxResults")) {
      ASSIGN_OR_RETURN(out.max_results, ParseInt(*v, "MaxResults"));
    }
    if (auto v = req.QueryParam("ProjectVersion"); v && !v->empty()) {
      out.version = models::VersionId(*v);
    }
    return out;
  }
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  return ParseDetectJson(body);
}

Result<DetectRequest> ParseDetectJson(const nlohmann::json& body) {
  DetectRequest out;
  const char* shape =
      "body must be image bytes (Content-Type: image/*) or JSON {\"Image\": {\"S3Object\": "
      "{\"Name\": key}} or {\"Bytes\": base64}, \"MinConfidence\"?, \"MaxResults\"?, "
      "\"ProjectVersion\"?}";
  if (!body.contains("Image") || !body["Image"].is_object()) {
    return InvalidArgumentError(shape);
  }
  const json& image = body["Image"];
  if (image.contains("S3Object") && image["S3Object"].is_object() &&
      image["S3Object"].contains("Name") && image["S3Object"]["Name"].is_string()) {
    out.object_key = image["S3Object"]["Name"].get<std::string>();
  } else if (image.contains("Bytes") && image["Bytes"].is_string()) {
    ASSIGN_OR_RETURN(out.image_bytes, DecodeBase64(image["Bytes"].get<std::string>()));
  } else {
    return InvalidArgumentError(shape);
  }
  if (body.contains("MinConfidence") && !body["MinConfidence"].is_null()) {
    if (!body["MinConfidence"].is_number()) {
      return InvalidArgumentError("MinConfidence must be a number in [0, 100]");
    }
    out.min_confidence = body["MinConfidence"].get<double>();
  }
  if (body.contains("MaxResults") && !body["MaxResults"].is_null()) {
    if (!body["MaxResults"].is_number_integer()) {
      return InvalidArgumentError("MaxResults must be an integer >= 1");
    }
    out.max_results = body["MaxResults"].get<int>();
  }
  if (body.contains("ProjectVersion") && body["ProjectVersion"].is_string()) {
    out.version = models::VersionId(body["ProjectVersion"].get<std::string>());
  }
  return out;
}

void AddDetectRoutes(Router& router, DetectService& detect) {
  DetectService* d = &detect;
  router.Add({"POST", "/v1/detect", Role::kConsumer,
              "DetectCustomLabels: image bytes (Content-Type image/*; ?MinConfidence=&"
              "MaxResults=&ProjectVersion=) or JSON {Image: {S3Object: {Name}} | {Bytes}, "
              "MinConfidence, MaxResults, ProjectVersion}; answers {CustomLabels: [{Name, "
              "Confidence}], ModelVersion} sorted by confidence. 409 without a deployed model, "
              "429 when every inference unit is busy.",
              [d](const HttpRequest& req) {
                auto parsed = ParseDetectRequest(req);
                if (!parsed.ok()) return HttpResponse::Error(parsed.status());
                auto result = d->Detect(*parsed);
                if (!result.ok()) {
                  HttpResponse r = HttpResponse::Error(result.status());
                  if (result.status().code() == StatusCode::kResourceExhausted) {
                    r.headers.push_back({"Retry-After", "1"});
                  }
                  return r;
                }
                json out = DetectResponseJson(*result);
                if (!result->result_key.empty()) out["DetectionResult"] = result->result_key;
                HttpResponse r = HttpResponse::Json(200, out);
                r.headers.push_back({"X-Loupe-Model-Version", result->model_version});
                return r;
              }});
}

}  // namespace loupe::detect
