#pragma once
// POST /v1/detect: DetectCustomLabels over HTTP (docs/serving.md). Body either image bytes
// (Content-Type image/*, options as query parameters MinConfidence, MaxResults,
// ProjectVersion) or JSON {"Image": {"S3Object": {"Name": key}} | {"Bytes": base64},
// "MinConfidence", "MaxResults", "ProjectVersion"}. Thin handler over detect::DetectService.
// Lives in src/models/http/ until the server library links loupe_detect.

#include "detect/detect_service.h"
#include "server/router.h"

namespace loupe::server {

// Parses a detection request from HTTP; InvalidArgument naming the bad field.
Result<detect::DetectRequest> ParseDetectRequest(const HttpRequest& req);

void AddDetectRoutes(Router& router, detect::DetectService& detect);

}  // namespace loupe::server
