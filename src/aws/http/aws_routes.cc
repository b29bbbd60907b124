#include "aws/http/aws_routes.h"

#include <charconv>

#include "aws/http/handlers.h"

namespace loupe::aws {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;

Status Need(const HttpRequest& req, Role need, std::string_view action) {
  if (RoleAllows(req.role, need)) return Status::Ok();
  return PermissionDeniedError("AccessDeniedException: role " + std::string(RoleName(req.role)) +
                               " may not call " + std::string(action) + " (needs " +
                               std::string(RoleName(need)) + ")");
}

Result<std::string> OptString(const json& body, const char* name) {
  if (!body.is_object() || !body.contains(name) || body[name].is_null()) return std::string();
  if (!body[name].is_string()) return InvalidArgumentError(std::string(name) + " must be a string");
  return body[name].get<std::string>();
}

Result<std::string> NeedString(const json& body, const char* name) {
  ASSIGN_OR_RETURN(std::string v, OptString(body, name));
  if (v.empty()) return InvalidArgumentError(std::string(name) + " is required");
  return v;
}

Result<int64_t> OptInt(const json& body, const char* name, int64_t fallback, int64_t min,
                       int64_t max) {
  if (!body.is_object() || !body.contains(name) || body[name].is_null()) return fallback;
  if (!body[name].is_number_integer() || body[name].get<int64_t>() < min ||
      body[name].get<int64_t>() > max) {
    return InvalidArgumentError(std::string(name) + " must be an integer in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return body[name].get<int64_t>();
}

Result<json> Page(size_t count, std::string_view token, int64_t max, std::string_view key,
                  std::string_view bad_token, const std::function<json(size_t)>& entry) {
  size_t offset = 0;
  if (!token.empty()) {
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), offset);
    if (ec != std::errc() || ptr != token.data() + token.size()) {
      return InvalidArgumentError(std::string(bad_token) +
                                  ": NextToken is not one this server gave");
    }
  }
  json list = json::array();
  for (size_t i = offset; i < count && list.size() < static_cast<size_t>(max); ++i) {
    list.push_back(entry(i));
  }
  json out = {{std::string(key), list}};
  if (offset + list.size() < count) out["NextToken"] = std::to_string(offset + list.size());
  return out;
}

void AddAwsRoutes(server::Router& router, const AwsBackends& backends, const AwsOptions& options) {
  AwsBackends b = backends;
  const AwsOptions& o = options;
  // The JSON 1.1 services share `POST /`; X-Amz-Target says which service and action. Their
  // error shapes are the same, so refusals are worded once.
  router.Add({"POST", "/", Role::kAuthenticated,
              "AWS JSON 1.1 (SigV4): X-Amz-Target RekognitionService.<action> (DetectCustomLabels, "
              "DescribeProjects, DescribeProjectVersions, CreateProjectVersion, "
              "StartProjectVersion, StopProjectVersion) or AmazonSSM.<action> (GetParameter, "
              "GetParameters, PutParameter, GetParameterHistory, DescribeParameters).",
              [b, o](const HttpRequest& req) {
                std::string target = req.Header("x-amz-target");
                size_t dot = target.find('.');
                std::string prefix = target.substr(0, dot);
                std::string action = dot == std::string::npos ? "" : target.substr(dot + 1);
                if (prefix == "AmazonSSM") return Ssm(action, req, b, o);
                if (prefix == "RekognitionService") return Rekognition(action, req, b, o);
                return ErrorResponse(
                    Service::kRekognition,
                    InvalidArgumentError("UnknownOperationException: X-Amz-Target '" + target +
                                         "' names no service loupe speaks (RekognitionService, "
                                         "AmazonSSM)"));
              },
              [](const Status& s) { return ErrorResponse(Service::kRekognition, s); }});
  AddA2iRoutes(router, b, o);
  AddS3Routes(router, b, o);
}

}  // namespace loupe::aws
