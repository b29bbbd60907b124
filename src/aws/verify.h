#pragma once
// Checking requests that AWS clients (the aws CLI, boto3, the SDKs) sign with SigV4: parsing the
// Authorization header, rebuilding the canonical request from what arrived, and comparing the
// signature in constant time, as AWS does (docs.aws.amazon.com/IAM/latest/UserGuide/
// reference_sigv4.html). Failures carry the AWS error code first in their message,
// "<Code>: <text>" (SignatureDoesNotMatch, RequestTimeTooSkewed, ...), so the AWS routes can
// answer in each service's error shape; AwsCodeOf() reads it back. Pure functions; thread-safe.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace loupe::aws {

// How far a request's X-Amz-Date may be from the server's clock (AWS allows 15 minutes).
inline constexpr std::chrono::minutes kMaxClockSkew{15};

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex".
struct Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd of the credential scope
  std::string region;
  std::string service;                      // "s3", "rekognition", "ssm", "sagemaker", ...
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // lower-case hex
};

// Whether `header` uses the SigV4 scheme (then ParseAuthorization applies).
bool IsSigV4(std::string_view header);
// Unauthenticated "IncompleteSignature: ..." when a part is missing or malformed.
Result<Authorization> ParseAuthorization(std::string_view header);

// A request as it arrived.
struct ReceivedRequest {
  std::string method;
  std::string raw_target;                      // encoded path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string_view body;
};

// Checks `request`'s signature under `secret` at `now`: the X-Amz-Date header (within
// kMaxClockSkew of `now`, same day as the scope), the signed headers (host and x-amz-date at
// least), the body against x-amz-content-sha256 when sent, and the signature itself.
Status Verify(const Authorization& auth, std::string_view secret, const ReceivedRequest& request,
              TimePoint now);

// The AWS error code at the start of a message made here ("SignatureDoesNotMatch: ..."), or
// empty when the message has none.
std::string AwsCodeOf(const Status& status);
// The message without its code.
std::string AwsMessageOf(const Status& status);

// The decoded name/value pairs of a query string ("a=1&b" -> {a,1},{b,""}; core's
// PercentDecode, '+' stays '+').
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

}  // namespace loupe::aws
