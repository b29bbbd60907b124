#pragma once
// SessionAuthenticator: the server::Authenticator of a running loupe. A request is
// authenticated by `Authorization: Bearer <API token>` (programs; no CSRF token needed) or by
// `Authorization: AWS4-HMAC-SHA256 ...` (SigV4, an AWS access key from AuthStore::CreateAwsKey:
// the aws CLI, boto3), or by the `loupe_session` cookie of a browser login (then X-CSRF-Token is
// compared with the session's token in constant time, and the server refuses unsafe methods without
// it). A present but invalid Authorization header is refused; there is no fallback to the cookie.
// Thread-safe; borrows the AuthStore.

#include <optional>
#include <string>

#include "auth/auth_store.h"
#include "server/authenticator.h"

namespace loupe::auth {

// The browser session cookie's name.
inline constexpr const char* kSessionCookie = "loupe_session";

// The value of cookie `name` in a Cookie header ("a=1; b=2"), if present.
std::optional<std::string> CookieValue(const std::string& cookie_header, const std::string& name);

class SessionAuthenticator final : public server::Authenticator {
 public:
  explicit SessionAuthenticator(AuthStore& store) : store_(store) {}
  Result<server::Caller> Authenticate(const server::HttpRequest& request) const override;

 private:
  AuthStore& store_;
};

}  // namespace loupe::auth
