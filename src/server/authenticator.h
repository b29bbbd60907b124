#pragma once
// Authenticator: the seam through which HttpServer learns who sent a request. Declared here so
// the server depends only on this interface; auth/ implements it (sessions, API tokens) and
// app/ wires it in. Implementations must be thread-safe: the server calls them from its worker
// threads concurrently.

#include <string>
#include <vector>

#include "core/result.h"
#include "server/http_types.h"

namespace loupe::server {

// An authenticated caller.
struct Caller {
  std::string principal;  // user name
  Role role = Role::kPublic;
  std::vector<std::string> teams;
  // True when the credentials came from a browser session cookie (not a bearer token): such
  // requests need a valid X-CSRF-Token header on unsafe methods.
  bool session = false;
  // For session callers: whether the request's X-CSRF-Token header matches the session's.
  bool csrf_valid = false;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Who sent `request`. Unauthenticated when it carries no credentials or invalid, expired or
  // revoked ones; other codes (Unavailable, Internal) when they could not be checked.
  virtual Result<Caller> Authenticate(const HttpRequest& request) const = 0;
};

// Whether `method` changes state (POST, PUT, PATCH, DELETE) and so needs CSRF protection when
// sent with a session cookie.
bool IsUnsafeMethod(std::string_view method);

}  // namespace loupe::server
