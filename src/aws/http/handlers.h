#pragma once
// The AWS services' handlers, one file each (ssm.cc, rekognition.cc, a2i.cc, s3.cc), wired by
// aws_routes.cc. Internal to loupe_aws_http.

#include <nlohmann/json.hpp>
#include <string_view>

#include "aws/http/aws_routes.h"
#include "aws/http/protocol.h"
#include "server/router.h"

namespace loupe::aws {

// PermissionDenied "AccessDeniedException: ..." unless the caller's role allows `need`.
Status Need(const server::HttpRequest& req, Role need, std::string_view action);

// JSON 1.1 actions (X-Amz-Target "AmazonSSM.<action>" and "RekognitionService.<action>").
server::HttpResponse Ssm(std::string_view action, const server::HttpRequest& req,
                         const AwsBackends& b, const AwsOptions& o);
server::HttpResponse Rekognition(std::string_view action, const server::HttpRequest& req,
                                 const AwsBackends& b, const AwsOptions& o);

// REST routes: A2I runtime under /human-loops, S3 path-style under /<bucket>.
void AddA2iRoutes(server::Router& router, const AwsBackends& b, const AwsOptions& o);
void AddS3Routes(server::Router& router, const AwsBackends& b, const AwsOptions& o);

// Optional typed fields of a JSON request body; InvalidArgument naming the field otherwise.
Result<std::string> OptString(const nlohmann::json& body, const char* name);
Result<std::string> NeedString(const nlohmann::json& body, const char* name);
Result<int64_t> OptInt(const nlohmann::json& body, const char* name, int64_t fallback, int64_t min,
                       int64_t max);

}  // namespace loupe::aws
