#include "aws/http/protocol.h"

#include <cmath>
#include <utility>

#include "aws/verify.h"
#include "core/random.h"

namespace loupe::aws {
namespace {

using nlohmann::json;

struct Shape {
  int http = 400;
  std::string code;
};

// The service's code and HTTP status for a canonical code, as the AWS services answer.
Shape DefaultShape(Service service, StatusCode code) {
  bool s3 = service == Service::kS3;
  switch (code) {
    case StatusCode::kInvalidArgument:
      if (s3) return {400, "InvalidArgument"};
      if (service == Service::kRekognition) return {400, "InvalidParameterException"};
      return {400, "ValidationException"};
    case StatusCode::kNotFound:
      if (s3) return {404, "NoSuchKey"};
      if (service == Service::kSsm) return {400, "ParameterNotFound"};
      if (service == Service::kA2i) return {404, "ResourceNotFoundException"};
      return {400, "ResourceNotFoundException"};
    case StatusCode::kAlreadyExists:
      if (s3) return {409, "OperationAborted"};
      if (service == Service::kSsm) return {400, "ParameterAlreadyExists"};
      if (service == Service::kA2i) return {409, "ConflictException"};
      return {400, "ResourceInUseException"};
    case StatusCode::kFailedPrecondition:
      if (s3) return {400, "InvalidRequest"};
      if (service == Service::kA2i) return {409, "ConflictException"};
      if (service == Service::kSsm) return {400, "ValidationException"};
      return {400, "ResourceInUseException"};
    case StatusCode::kPermissionDenied:
      return s3 ? Shape{403, "AccessDenied"} : Shape{400, "AccessDeniedException"};
    case StatusCode::kUnauthenticated:
      return s3 ? Shape{403, "AccessDenied"} : Shape{403, "MissingAuthenticationTokenException"};
    case StatusCode::kResourceExhausted:
      if (s3) return {503, "SlowDown"};
      if (service == Service::kA2i) return {429, "ThrottlingException"};
      return {400, "ThrottlingException"};
    case StatusCode::kPayloadTooLarge:
      if (s3) return {400, "EntityTooLarge"};
      if (service == Service::kRekognition) return {400, "ImageTooLargeException"};
      return {400, "ValidationException"};
    case StatusCode::kUnimplemented:
      return s3 ? Shape{501, "NotImplemented"} : Shape{400, "UnknownOperationException"};
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
      return s3 ? Shape{503, "ServiceUnavailable"} : Shape{503, "ServiceUnavailableException"};
    default:
      if (service == Service::kA2i) return {500, "InternalServerException"};
      return s3 ? Shape{500, "InternalError"} : Shape{500, "InternalServerError"};
  }
}

// A SigV4 refusal (aws/verify.h codes are S3's) in the service's words.
Shape AuthShape(Service service, const std::string& code) {
  if (service == Service::kS3) {
    if (code == "XAmzContentSHA256Mismatch" || code == "IncompleteSignature") return {400, code};
    if (code == "NotImplemented") return {501, code};
    return {403, code};
  }
  if (code == "InvalidAccessKeyId") return {403, "UnrecognizedClientException"};
  if (code == "IncompleteSignature") return {400, "IncompleteSignatureException"};
  if (code == "NotImplemented") return {400, "ValidationException"};
  return {403, "InvalidSignatureException"};
}

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Status WithCode(std::string_view code, const Status& status) {
  return Status(status.code(), std::string(code) + ": " + AwsMessageOf(status));
}

server::HttpResponse ErrorResponse(Service service, const Status& status,
                                   std::string_view resource) {
  std::string code = AwsCodeOf(status);
  Shape shape = DefaultShape(service, status.code());
  if (!code.empty()) {
    if (status.code() == StatusCode::kUnauthenticated) {
      shape = AuthShape(service, code);
    } else {
      shape.code = code;
    }
  }
  std::string message = AwsMessageOf(status);
  std::string request_id = RandomHex(8);
  server::HttpResponse r;
  r.status = shape.http;
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  if (service == Service::kS3) {
    r.content_type = "application/xml";
    r.headers.emplace_back("x-amz-request-id", request_id);
    r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + XmlEscape(shape.code) +
             "</Code><Message>" + XmlEscape(message) + "</Message><Resource>" +
             XmlEscape(resource) + "</Resource><RequestId>" + request_id + "</RequestId></Error>";
    return r;
  }
  r.headers.emplace_back("x-amzn-ErrorType", shape.code);
  r.content_type = service == Service::kA2i ? "application/json" : "application/x-amz-json-1.1";
  // Messages may echo client input: invalid UTF-8 is replaced, never thrown on.
  r.body = json({{"__type", shape.code}, {"message", message}})
               .dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

server::HttpResponse JsonOk(Service service, const json& body) {
  server::HttpResponse r;
  r.status = 200;
  r.content_type = service == Service::kA2i ? "application/json" : "application/x-amz-json-1.1";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("x-amzn-RequestId", RandomHex(8));
  return r;
}

double EpochSeconds(TimePoint t) {
  return std::round(static_cast<double>(ToUnixMillis(t))) / 1000.0;
}

std::string ProjectArn(const AwsOptions& o) {
  return "arn:aws:rekognition:" + o.region + ":" + o.account + ":project/" + o.project + "/1";
}

std::string VersionArn(const AwsOptions& o, std::string_view version, TimePoint created) {
  return "arn:aws:rekognition:" + o.region + ":" + o.account + ":project/" + o.project +
         "/version/" + std::string(version) + "/" + std::to_string(ToUnixMillis(created));
}

bool IsProjectArn(const AwsOptions& o, std::string_view arn) {
  std::string prefix =
      "arn:aws:rekognition:" + o.region + ":" + o.account + ":project/" + o.project + "/";
  if (arn.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = arn.substr(prefix.size());
  return !rest.empty() && rest.find('/') == std::string_view::npos;
}

Result<std::string> VersionOfArn(const AwsOptions& o, std::string_view arn) {
  std::string prefix =
      "arn:aws:rekognition:" + o.region + ":" + o.account + ":project/" + o.project + "/version/";
  auto not_found = [&] {
    return Status(StatusCode::kNotFound, "ResourceNotFoundException: " + std::string(arn) +
                                             " is not a version of this server's project " +
                                             ProjectArn(o));
  };
  if (arn.substr(0, prefix.size()) != prefix) return not_found();
  std::string_view rest = arn.substr(prefix.size());
  size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return not_found();
  return std::string(rest.substr(0, slash));
}

}  // namespace loupe::aws
