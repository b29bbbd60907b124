#pragma once
// POST /v1/detect: DetectCustomLabels over HTTP (docs/serving.md). Body either image bytes
// (Content-Type image/*, options as query parameters MinConfidence, MaxResults,
// ProjectVersion) or JSON {"Image": {"S3Object": {"Name": key}} | {"Bytes": base64},
// "MinConfidence", "MaxResults", "ProjectVersion"}. Thin handler over DetectService.

#include "detect/detect_service.h"
#include "server/router.h"

namespace loupe::detect {

// Parses a detection request from HTTP; InvalidArgument naming the bad field.
Result<DetectRequest> ParseDetectRequest(const server::HttpRequest& req);
// The JSON form alone (also Rekognition's DetectCustomLabels body): Image, MinConfidence,
// MaxResults, ProjectVersion.
Result<DetectRequest> ParseDetectJson(const nlohmann::json& body);

void AddDetectRoutes(server::Router& router, DetectService& detect);

}  // namespace loupe::detect
