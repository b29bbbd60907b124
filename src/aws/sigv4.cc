#include "aws/sigv4.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "core/encoding.h"
#include "core/sha256.h"

namespace loupe::aws {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims the value and collapses runs of spaces into one, as the canonical form requires.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::vector<std::pair<std::string, std::string>> SortedHeaders(const SignableRequest& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(Lower(name), CanonicalValue(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // A header sent twice is signed once, its values joined by commas.
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& h : headers) {
    if (!merged.empty() && merged.back().first == h.first) {
      merged.back().second += "," + h.second;
    } else {
      merged.push_back(std::move(h));
    }
  }
  return merged;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string AmzDate(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SignedHeaderNames(const SignableRequest& request) {
  std::string out;
  for (const auto& [name, value] : SortedHeaders(request)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SignableRequest& request) {
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query) {
    query.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(query.begin(), query.end());
  std::string out = request.method + "\n" + (request.path.empty() ? "/" : request.path) + "\n";
  for (size_t i = 0; i < query.size(); ++i) {
    if (i > 0) out += '&';
    out += query[i].first + "=" + query[i].second;
  }
  out += '\n';
  for (const auto& [name, value] : SortedHeaders(request)) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  out += '\n';
  out += SignedHeaderNames(request);
  out += '\n';
  out += request.payload_sha256;
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  return std::string(date) + "/" + std::string(region) + "/" + std::string(service) +
         "/aws4_request";
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
         Sha256Hex(canonical_request);
}

std::string Signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign) {
  std::string key = Hmac("AWS4" + std::string(secret), date);
  key = Hmac(key, region);
  key = Hmac(key, service);
  key = Hmac(key, "aws4_request");
  return HexEncode(Hmac(key, string_to_sign));
}

std::string Sign(SignableRequest& request, const Credentials& credentials, std::string_view region,
                 std::string_view service, TimePoint now) {
  std::string amz_date = AmzDate(now);
  std::string date = amz_date.substr(0, 8);
  request.headers.emplace_back("x-amz-date", amz_date);
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  if (service == "s3") request.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  std::string scope = CredentialScope(date, region, service);
  std::string signature = Signature(credentials.secret_access_key, date, region, service,
                                    StringToSign(amz_date, scope, CanonicalRequest(request)));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
         ", SignedHeaders=" + SignedHeaderNames(request) + ", Signature=" + signature;
}

}  // namespace loupe::aws
