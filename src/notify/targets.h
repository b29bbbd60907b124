#pragma once
// Validation of subscription targets, applied when a subscription is created so that bad
// endpoints are refused with a reason instead of failing every delivery later. Pure
// functions; thread-safe.

#include <string>
#include <string_view>

#include "core/status.h"

namespace loupe::notify {

// A webhook URL: http or https, a host, no user name or password, at most 2048 bytes, no
// whitespace or control characters. InvalidArgument with the reason otherwise.
[[nodiscard]] Status ValidateWebhookUrl(std::string_view url);

// An e-mail address local@domain (RFC 5321 path limits: 64 + 255, 254 in all), without
// spaces, control characters, quotes or angle brackets. InvalidArgument otherwise.
[[nodiscard]] Status ValidateEmailAddress(std::string_view address);

// A webhook secret: 16..256 bytes, no control characters.
[[nodiscard]] Status ValidateWebhookSecret(std::string_view secret);

}  // namespace loupe::notify
