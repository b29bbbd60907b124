#pragma once
// What the AWS routes share: the services loupe speaks for, their error shapes (JSON `__type` +
// `message` for Rekognition, SSM and A2I; S3's XML <Error>), the status codes the SDKs expect
// for each canonical code, and the ARNs loupe hands out. An error's AWS code is the one at the
// start of its message ("ParameterAlreadyExists: ...", aws/verify.h), else the service's code
// for the status's canonical code. Pure functions; thread-safe.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "server/http_types.h"

namespace loupe::aws {

enum class Service { kRekognition, kSsm, kA2i, kS3 };

// Where loupe's AWS names live: the S3 bucket clients address, the region and account id in
// ARNs, and the one Rekognition project.
struct AwsOptions {
  std::string bucket = "loupe";
  std::string region = "us-east-1";
  std::string account = "000000000000";
  std::string project = "loupe";
};

// The error response for `status` in `service`'s shape. `resource` is S3's <Resource>.
server::HttpResponse ErrorResponse(Service service, const Status& status,
                                   std::string_view resource = "");
// `s` with XML's five special characters escaped (S3 bodies).
std::string XmlEscape(std::string_view s);
// `status` (an error) with `code` as its AWS code.
Status WithCode(std::string_view code, const Status& status);

// A JSON 1.1 success body (Rekognition, SSM) or a REST-JSON one (A2I).
server::HttpResponse JsonOk(Service service, const nlohmann::json& body);

// Seconds since the epoch as a JSON number (how the JSON protocols send timestamps).
double EpochSeconds(TimePoint t);

std::string ProjectArn(const AwsOptions& o);
std::string VersionArn(const AwsOptions& o, std::string_view version, TimePoint created);
// The version name in a project version ARN of this project; ResourceNotFoundException
// otherwise.
Result<std::string> VersionOfArn(const AwsOptions& o, std::string_view arn);
// Whether `arn` names this project (any creation suffix).
bool IsProjectArn(const AwsOptions& o, std::string_view arn);

}  // namespace loupe::aws
