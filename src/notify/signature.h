#pragma once
// The webhook signature scheme (docs/notifications.md): a receiver recomputes
//   X-Loupe-Signature: sha256=<lower-case hex of HMAC-SHA256(secret, timestamp + "." + body)>
// where timestamp is the X-Loupe-Timestamp header (Unix seconds) and body the raw request
// body, and compares in constant time. Pure functions; thread-safe.

#include <string>
#include <string_view>

namespace loupe::notify {

// Lower-case hex HMAC-SHA256 of `data` keyed with `secret` (any length, RFC 2104).
std::string HmacSha256Hex(std::string_view secret, std::string_view data);

// The X-Loupe-Signature header value: "sha256=" + HmacSha256Hex(secret, timestamp + "." + body).
std::string SignWebhook(std::string_view secret, std::string_view timestamp, std::string_view body);

// Whether `signature` is the header value SignWebhook would produce (constant-time compare).
bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                            std::string_view body, std::string_view signature);

}  // namespace loupe::notify
