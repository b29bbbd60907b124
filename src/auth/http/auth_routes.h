#pragma once
// The HTTP routes of auth/: login, logout, who-am-I and own password change (browser
// sessions), users (admin) and API tokens (admin). JSON fields are PascalCase like the rest of
// the AWS-shaped API ({"User","Role","Teams","CsrfToken"}). Handlers are thin over AuthStore
// and LoginLimiter, which must outlive the router.

#include "auth/auth_store.h"
#include "auth/login_limiter.h"
#include "server/router.h"

namespace loupe::auth {

struct AuthRouteOptions {
  bool secure_cookies = false;  // add `Secure` to the session cookie (serve behind HTTPS)
};

void AddAuthRoutes(server::Router& router, AuthStore& store, LoginLimiter& limiter,
                   AuthRouteOptions options);

}  // namespace loupe::auth
