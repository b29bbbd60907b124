#include "aws/verify.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "aws/sigv4.h"
#include "core/encoding.h"
#include "core/sha256.h"

namespace loupe::aws {
namespace {

constexpr std::string_view kScheme = "AWS4-HMAC-SHA256";

Status Refuse(std::string_view code, std::string_view message) {
  return UnauthenticatedError(std::string(code) + ": " + std::string(message));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool IsLowerHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// "20240101T120000Z" -> the time point; nullopt when malformed.
std::optional<TimePoint> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  auto num = [&](size_t at, size_t n) { return std::stoi(std::string(s.substr(at, n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

bool IsSigV4(std::string_view header) { return header.substr(0, kScheme.size()) == kScheme; }

Result<Authorization> ParseAuthorization(std::string_view header) {
  if (!IsSigV4(header)) return Refuse("IncompleteSignature", "not an AWS4-HMAC-SHA256 signature");
  Authorization out;
  std::string credential;
  std::string signed_headers;
  for (std::string_view part : Split(header.substr(kScheme.size()), ',')) {
    part = Trim(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = part.substr(0, eq);
    std::string_view value = part.substr(eq + 1);
    if (name == "Credential") credential = value;
    if (name == "SignedHeaders") signed_headers = value;
    if (name == "Signature") out.signature = value;
  }
  std::vector<std::string_view> scope = Split(credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[4] != "aws4_request" || scope[1].size() != 8) {
    return Refuse("IncompleteSignature",
                  "Credential must be <access key>/<yyyymmdd>/<region>/<service>/aws4_request");
  }
  out.access_key_id = scope[0];
  out.date = scope[1];
  out.region = scope[2];
  out.service = scope[3];
  if (signed_headers.empty()) return Refuse("IncompleteSignature", "SignedHeaders is missing");
  for (std::string_view h : Split(signed_headers, ';')) {
    if (h.empty()) return Refuse("IncompleteSignature", "SignedHeaders has an empty name");
    out.signed_headers.emplace_back(h);
  }
  if (!IsLowerHex(out.signature, 64)) {
    return Refuse("IncompleteSignature", "Signature must be 64 lower-case hex digits");
  }
  return out;
}

Status Verify(const Authorization& auth, std::string_view secret, const ReceivedRequest& request,
              TimePoint now) {
  auto header = [&](const std::string& name) -> const std::string* {
    auto it = request.headers.find(name);
    return it == request.headers.end() ? nullptr : &it->second;
  };
  const std::string* amz_date = header("x-amz-date");
  if (amz_date == nullptr) {
    return Refuse("IncompleteSignature", "the request has no X-Amz-Date header");
  }
  std::optional<TimePoint> signed_at = ParseAmzDate(*amz_date);
  if (!signed_at) return Refuse("IncompleteSignature", "X-Amz-Date is not yyyymmddThhmmssZ");
  if (amz_date->substr(0, 8) != auth.date) {
    return Refuse("SignatureDoesNotMatch", "the credential scope's date is not X-Amz-Date's day");
  }
  auto skew = *signed_at > now ? *signed_at - now : now - *signed_at;
  if (skew > kMaxClockSkew) {
    return Refuse("RequestTimeTooSkewed", "the difference between the request time (" + *amz_date +
                                              ") and the server's time (" + AmzDate(now) +
                                              ") is more than 15 minutes");
  }
  bool host_signed = false;
  bool date_signed = false;
  SignableRequest canonical;
  canonical.method = request.method;
  for (const std::string& name : auth.signed_headers) {
    const std::string* value = header(name);
    if (value == nullptr) {
      return Refuse("SignatureDoesNotMatch", "signed header '" + name + "' was not sent");
    }
    host_signed = host_signed || name == "host";
    date_signed = date_signed || name == "x-amz-date";
    canonical.headers.emplace_back(name, *value);
  }
  if (!host_signed || !date_signed) {
    return Refuse("SignatureDoesNotMatch", "SignedHeaders must include host and x-amz-date");
  }
  // Headers the handlers act on must be covered by the signature when they are sent (as S3
  // requires of x-amz-*): otherwise a captured request could be replayed with other ones.
  for (const auto& [name, value] : request.headers) {
    bool acted_on = name.rfind("x-amz-", 0) == 0 || name == "content-type" ||
                    name == "content-md5" || name == "range";
    if (acted_on && std::find(auth.signed_headers.begin(), auth.signed_headers.end(), name) ==
                        auth.signed_headers.end()) {
      return Refuse("AccessDenied", "header '" + name + "' is present but not signed");
    }
  }
  std::string body_hash = Sha256Hex(request.body);
  if (const std::string* sent = header("x-amz-content-sha256")) {
    if (*sent == "UNSIGNED-PAYLOAD" && auth.service == "s3") {
      canonical.payload_sha256 = *sent;
    } else if (sent->rfind("STREAMING-", 0) == 0) {
      return Refuse("NotImplemented", "streaming (aws-chunked) payload signing is not supported");
    } else if (*sent != body_hash) {
      return Refuse("XAmzContentSHA256Mismatch",
                    "the body's SHA-256 is not the one in x-amz-content-sha256");
    } else {
      canonical.payload_sha256 = body_hash;
    }
  } else {
    canonical.payload_sha256 = body_hash;
  }
  std::string_view target = request.raw_target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  // S3 signs the path as sent; the other services sign it URI-encoded once more.
  canonical.path = auth.service == "s3" ? std::string(path) : UriEncode(path, false);
  if (q != std::string_view::npos) {
    auto query = ParseQuery(target.substr(q + 1));
    if (!query.ok()) return Refuse("SignatureDoesNotMatch", query.status().message());
    canonical.query = std::move(*query);
  }
  std::string scope = CredentialScope(auth.date, auth.region, auth.service);
  std::string expected = Signature(secret, auth.date, auth.region, auth.service,
                                   StringToSign(*amz_date, scope, CanonicalRequest(canonical)));
  if (expected.size() != auth.signature.size() ||
      sodium_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0) {
    return Refuse("SignatureDoesNotMatch",
                  "the request signature we calculated does not match the signature you "
                  "provided; check your key and signing method");
  }
  return Status::Ok();
}

std::string AwsCodeOf(const Status& status) {
  const std::string& m = status.message();
  size_t colon = m.find(": ");
  if (colon == std::string::npos || colon == 0) return "";
  for (size_t i = 0; i < colon; ++i) {
    if (!std::isalnum(static_cast<unsigned char>(m[i]))) return "";
  }
  if (!std::isupper(static_cast<unsigned char>(m[0]))) return "";
  return m.substr(0, colon);
}

std::string AwsMessageOf(const Status& status) {
  std::string code = AwsCodeOf(status);
  return code.empty() ? status.message() : status.message().substr(code.size() + 2);
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (std::string_view part : Split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    ASSIGN_OR_RETURN(std::string name, PercentDecode(part.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      ASSIGN_OR_RETURN(value, PercentDecode(part.substr(eq + 1)));
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace loupe::aws
