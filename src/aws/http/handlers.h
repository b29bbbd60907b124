#pragma once
// The AWS services' handlers, one file each (ssm.cc, rekognition.cc, a2i.cc, s3.cc), wired by
// aws_routes.cc. Internal to loupe_aws_http.

#include <functional>
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

// One page of a listing of `count` entries, made by `entry(i)`, under `key`: starting at the
// NextToken a previous page gave (an offset; `bad_token` is the AWS code for one this server
// did not give), at most `max` entries, with the NextToken of the rest when there is one.
Result<nlohmann::json> Page(size_t count, std::string_view token, int64_t max, std::string_view key,
                            std::string_view bad_token,
                            const std::function<nlohmann::json(size_t)>& entry);

}  // namespace loupe::aws
