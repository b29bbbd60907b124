#pragma once
// FixedAuthenticator: authenticates every request as one configured caller. For in-process
// tests that exercise handlers through HttpServer without the auth module. Thread-safe
// (immutable after construction).

#include <utility>

#include "server/authenticator.h"

namespace loupe::server {

class FixedAuthenticator final : public Authenticator {
 public:
  explicit FixedAuthenticator(Caller caller) : caller_(std::move(caller)) {}
  // An admin bearer-token caller named "test-admin".
  static Caller Admin() { return {"test-admin", Role::kAdmin, {}, false, false}; }

  Result<Caller> Authenticate(const HttpRequest& /*request*/) const override { return caller_; }

 private:
  Caller caller_;
};

}  // namespace loupe::server
