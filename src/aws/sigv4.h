#pragma once
// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4.html):
// the canonical request, the string to sign, the derived key and the signature, for signing
// loupe's own requests to an S3-compatible store and for checking requests that AWS clients
// send to loupe. HMAC-SHA256 and SHA-256 come from libsodium; this file only builds strings.
// Proven on AWS's published examples (sigv4_test.cc). Pure functions; thread-safe.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace loupe::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The parts of an HTTP request that SigV4 covers.
struct SignableRequest {
  std::string method;                                      // "GET", "PUT", ...
  std::string path;                                        // URI-encoded, as sent ("/a/b%20c")
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values
  HeaderList headers;                                      // every header that is signed
  std::string payload_sha256;  // lower-case hex of the body, or "UNSIGNED-PAYLOAD"
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~)
// are kept, every other byte becomes %XX (upper-case); '/' is kept unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// "20130524T000000Z" and "20130524" for `t` (UTC).
std::string AmzDate(TimePoint t);

// Canonical request: method, path, sorted query, sorted lower-case headers with trimmed values,
// the signed header names, the payload hash, one per line. The path is used as sent, as S3
// signs it (no re-encoding or normalisation).
std::string CanonicalRequest(const SignableRequest& request);
// The ';'-joined, sorted, lower-case names of the request's headers.
std::string SignedHeaderNames(const SignableRequest& request);

// "<date>/<region>/<service>/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// Hex HMAC-SHA256 of `string_to_sign` under the key derived from `secret` for the scope.
std::string Signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign);

// Signs `request` at `now`: adds x-amz-date, x-amz-security-token (with a session token) and
// x-amz-content-sha256 (for service "s3") to its headers, and returns the value of the
// Authorization header. `request.headers` must already hold "host" and whatever else is sent.
std::string Sign(SignableRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, TimePoint now);

}  // namespace loupe::aws
