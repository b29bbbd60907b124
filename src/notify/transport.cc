#include "notify/transport.h"

#include <curl/curl.h>
#include <sodium.h>

#include <array>
#include <ctime>
#include <memory>
#include <mutex>

#include "notify/signature.h"

namespace loupe::notify {
namespace {

constexpr size_t kKeptResponseBytes = 200;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to an slist, keeping ownership in `list`; false on allocation failure.
bool Append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return false;
  static_cast<void>(list.release());
  list.reset(grown);
  return true;
}

// Keeps the first bytes of a response body (for the error message) and discards the rest.
size_t KeepHead(char* data, size_t size, size_t count, void* user) {
  auto* kept = static_cast<std::string*>(user);
  size_t n = size * count;
  if (kept->size() < kKeptResponseBytes) {
    kept->append(data, std::min(n, kKeptResponseBytes - kept->size()));
  }
  return n;
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * count, up->data->size() - up->offset);
  up->data->copy(buffer, n, up->offset);
  up->offset += n;
  return n;
}

// Aborts a transfer once `*cancel` (the user pointer) is true.
int CancelProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

Status CurlError(const char* what, CURLcode code, const std::array<char, CURL_ERROR_SIZE>& buf) {
  if (code == CURLE_ABORTED_BY_CALLBACK) return CancelledError(std::string(what) + ": cancelled");
  std::string detail = buf[0] != '\0' ? std::string(buf.data()) : curl_easy_strerror(code);
  return UnavailableError(std::string(what) + ": " + detail);
}

void SetLimits(CURL* c, const TransportOptions& o, const std::atomic<bool>* cancel) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  if (cancel != nullptr) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, CancelProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  }
}

// "Thu, 26 Nov 2026 16:30:00 +0000" (RFC 5322 date-time, independent of the C locale).
std::string Rfc5322Date(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays.at(static_cast<size_t>(tm.tm_wday)), tm.tm_mday,
                kMonths.at(static_cast<size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf.data();
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// An unstructured header value: as is when ASCII, else RFC 2047 encoded words of at most 45
// bytes each (75 characters encoded), split on UTF-8 character boundaries, folded.
std::string EncodeHeaderText(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(start + 45, text.size());
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string DomainOf(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "loupe.localhost" : address.substr(at + 1);
}

}  // namespace

std::string BuildEmail(const Message& message, const std::string& from, const std::string& to,
                       int64_t subscription_id, TimePoint now) {
  std::string subject = "[loupe] " + message.subject;
  std::string body = message.subject + "\n\n" + "Type:       " + message.type + "\n" +
                     "Topic:      " + std::string(TopicName(message.topic)) + "\n" +
                     "Time:       " + FormatRfc3339(message.time) + "\n" +
                     "Message id: " + message.id + "\n\n" + "Detail:\n" + message.detail.dump(2) +
                     "\n";
  std::string out;
  out += "Date: " + Rfc5322Date(now) + "\r\n";
  out += "From: <" + from + ">\r\n";
  out += "To: <" + to + ">\r\n";
  out += "Subject: " + EncodeHeaderText(subject) + "\r\n";
  out += "Message-ID: <loupe-" + std::to_string(message.sequence) + "-" +
         std::to_string(subscription_id) + "@" + DomainOf(from) + ">\r\n";
  out += "X-Loupe-Message-Id: " + message.id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  for (char c : body) {
    if (c == '\n') {
      out += "\r\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

Transport::Transport(TransportOptions options) : options_(std::move(options)) { GlobalInit(); }

Status Transport::PostWebhook(const WebhookRequest& request,
                              const std::atomic<bool>* cancel) const {
  Easy curl(curl_easy_init());
  if (!curl) return InternalError("curl_easy_init failed");
  std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(request.time.time_since_epoch()).count());
  Slist headers;
  if (!Append(headers, "Content-Type: application/json") ||
      !Append(headers, "User-Agent: loupe-webhook/0.1") ||
      !Append(headers, "X-Loupe-Message-Id: " + request.message_id) ||
      !Append(headers, "X-Loupe-Timestamp: " + timestamp) ||
      !Append(headers,
              "X-Loupe-Signature: " + SignWebhook(request.secret, timestamp, request.body)) ||
      !Append(headers, "Expect:")) {
    return InternalError("out of memory building webhook headers");
  }
  std::array<char, CURL_ERROR_SIZE> error{};
  std::string response;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, KeepHead);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
  SetLimits(c, options_, cancel);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return CurlError("webhook POST failed", rc, error);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300) return Status::Ok();
  std::string reason = "webhook answered HTTP " + std::to_string(code);
  if (code >= 300 && code < 400) reason += " (redirects are not followed)";
  if (!response.empty()) reason += ": " + response;
  return UnavailableError(reason);
}

Status Transport::SendEmail(const EmailRequest& request, const std::atomic<bool>* cancel) const {
  if (!email_enabled()) {
    return FailedPreconditionError("e-mail is not configured (serve --smtp-url, --smtp-from)");
  }
  Easy curl(curl_easy_init());
  if (!curl) return InternalError("curl_easy_init failed");
  Slist rcpt;
  if (!Append(rcpt, "<" + request.to + ">")) return InternalError("out of memory");
  std::array<char, CURL_ERROR_SIZE> error{};
  Upload upload{&request.data};
  std::string from = "<" + options_.smtp.from + ">";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options_.smtp.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.data.size()));
  if (!options_.smtp.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.smtp.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.smtp.password.c_str());
    // Credentials never travel in clear text: smtp:// must upgrade with STARTTLS.
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
  SetLimits(c, options_, cancel);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return CurlError("SMTP delivery failed", rc, error);
  return Status::Ok();
}

}  // namespace loupe::notify
