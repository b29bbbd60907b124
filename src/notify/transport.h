#pragma once
// Transport: sends one delivery attempt over the network with libcurl (kept inside notify/):
// a signed webhook POST or an e-mail over SMTP. Redirects are never followed; connect and
// total time are bounded. Thread-safe: each call uses its own curl handle.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "notify/message.h"

namespace loupe::notify {

struct SmtpOptions {
  std::string url;   // smtp://host:port or smtps://host:port; empty = e-mail disabled
  std::string from;  // envelope and header sender, e.g. loupe@example.com
  std::string user;  // optional AUTH
  std::string password;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  SmtpOptions smtp;
};

// One webhook attempt: POST `body` to `url` with the X-Loupe-* headers.
struct WebhookRequest {
  std::string url;
  std::string secret;
  std::string message_id;
  std::string body;
  TimePoint time;  // becomes X-Loupe-Timestamp (Unix seconds)
};

// One e-mail: the envelope and the complete RFC 5322 message (see BuildEmail).
struct EmailRequest {
  std::string to;
  std::string data;
};

// The RFC 5322 text of a message's e-mail: Date, From, To, Subject (RFC 2047-encoded when
// not ASCII), Message-ID (stable per message and subscription, so retries de-duplicate),
// MIME headers, and a plain-text body with the Detail JSON. Lines end in CRLF.
std::string BuildEmail(const Message& message, const std::string& from, const std::string& to,
                       int64_t subscription_id, TimePoint now);

class Transport {
 public:
  explicit Transport(TransportOptions options);

  // Ok for a 2xx answer; Unavailable with the reason (status, redirect, timeout) otherwise.
  // Cancelled if `*cancel` became true during the attempt (shutdown).
  [[nodiscard]] Status PostWebhook(const WebhookRequest& request,
                                   const std::atomic<bool>* cancel = nullptr) const;
  // Ok once the SMTP server accepted the message; FailedPrecondition if SMTP is not set up.
  [[nodiscard]] Status SendEmail(const EmailRequest& request,
                                 const std::atomic<bool>* cancel = nullptr) const;

  bool email_enabled() const { return !options_.smtp.url.empty(); }
  const TransportOptions& options() const { return options_; }

 private:
  TransportOptions options_;
};

}  // namespace loupe::notify
