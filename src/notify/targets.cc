#include "notify/targets.h"

#include <curl/curl.h>

#include <memory>

namespace loupe::notify {
namespace {

constexpr size_t kMaxUrlLength = 2048;

bool HasSpaceOrControl(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// The URL part `what`, or empty if absent.
std::string UrlPart(CURLU* url, CURLUPart what) {
  char* part = nullptr;
  if (curl_url_get(url, what, &part, 0) != CURLUE_OK || part == nullptr) return "";
  std::string out(part);
  curl_free(part);
  return out;
}

}  // namespace

Status ValidateWebhookUrl(std::string_view url) {
  if (url.empty()) return InvalidArgumentError("webhook URL is empty");
  if (url.size() > kMaxUrlLength) {
    return InvalidArgumentError("webhook URL is longer than 2048 bytes");
  }
  if (HasSpaceOrControl(url)) {
    return InvalidArgumentError("webhook URL contains spaces or control characters");
  }
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) return InternalError("out of memory");
  std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return InvalidArgumentError("webhook URL is malformed: " + text);
  }
  std::string scheme = UrlPart(parsed.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("webhook URL must use http or https");
  }
  // Checked on the text as well: the parser is lenient ("http:///host", "http://@host").
  std::string_view rest = url.substr(scheme.size());
  if (rest.substr(0, 3) != "://") {
    return InvalidArgumentError("webhook URL must be scheme://host/...");
  }
  rest.remove_prefix(3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return InvalidArgumentError("webhook URL has no host");
  if (!UrlPart(parsed.get(), CURLUPART_USER).empty() ||
      !UrlPart(parsed.get(), CURLUPART_PASSWORD).empty() ||
      authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("webhook URL must not contain credentials");
  }
  if (UrlPart(parsed.get(), CURLUPART_HOST).empty()) {
    return InvalidArgumentError("webhook URL has no host");
  }
  return Status::Ok();
}

Status ValidateEmailAddress(std::string_view address) {
  auto at = address.rfind('@');
  if (address.size() > 254 || at == std::string_view::npos || at == 0 || at > 64 ||
      at + 1 == address.size()) {
    return InvalidArgumentError(
        "e-mail address must look like name@example.com (at most 254 "
        "bytes)");
  }
  if (HasSpaceOrControl(address) || address.find_first_of("<>()[]\\,;:\"") != std::string::npos) {
    return InvalidArgumentError("e-mail address contains characters that are not allowed");
  }
  std::string_view domain = address.substr(at + 1);
  if (domain.find('@') != std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return InvalidArgumentError("e-mail address has an invalid domain");
  }
  return Status::Ok();
}

Status ValidateWebhookSecret(std::string_view secret) {
  if (secret.size() < 16 || secret.size() > 256) {
    return InvalidArgumentError("webhook secret must be 16..256 bytes");
  }
  for (char c : secret) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError("webhook secret contains control characters");
    }
  }
  return Status::Ok();
}

}  // namespace loupe::notify
