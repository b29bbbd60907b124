#include "auth/http/session_authenticator.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "auth/password.h"
#include "aws/verify.h"

namespace loupe::auth {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

server::Caller CallerFor(const User& user) {
  server::Caller c;
  c.principal = user.name;
  c.role = user.role;
  c.teams = user.teams;
  return c;
}

// A SigV4-signed request (the aws CLI, boto3): its access key's user, once the signature, the
// date and the body check out. Refusals carry AWS's error codes (aws/verify.h).
Result<server::Caller> AuthenticateSigV4(AuthStore& store, const server::HttpRequest& request,
                                         const std::string& authorization) {
  ASSIGN_OR_RETURN(aws::Authorization auth, aws::ParseAuthorization(authorization));
  auto key = store.LookupAwsKey(auth.access_key_id);
  if (!key.ok() && key.status().code() == StatusCode::kDataLoss) {
    // Made by a process with another secrets key (LOUPE_SECRETS_KEY differs in the cluster):
    // the key cannot be used here; say so instead of failing as an internal error.
    spdlog::error("auth: AWS key {}: {}", auth.access_key_id, key.status().message());
    return UnauthenticatedError("InvalidAccessKeyId: the AWS access key " + auth.access_key_id +
                                " cannot be opened by this server (its secrets key differs "
                                "from the one that made the key)");
  }
  if (!key.ok()) {
    if (key.status().code() != StatusCode::kUnauthenticated) return key.status();
    return UnauthenticatedError("InvalidAccessKeyId: the AWS access key id " + auth.access_key_id +
                                " is not valid here (" + key.status().message() + ")");
  }
  RETURN_IF_ERROR(
      aws::Verify(auth, key->secret_access_key,
                  {request.method, request.raw_target.empty() ? request.path : request.raw_target,
                   request.headers, request.body},
                  store.clock().Now()));
  return CallerFor(key->user);
}

}  // namespace

std::optional<std::string> CookieValue(const std::string& cookie_header, const std::string& name) {
  std::string_view rest = cookie_header;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view pair = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) == name) return std::string(Trim(pair.substr(eq + 1)));
  }
  return std::nullopt;
}

Result<server::Caller> SessionAuthenticator::Authenticate(
    const server::HttpRequest& request) const {
  std::string authorization = request.Header("authorization");
  if (!authorization.empty()) {
    if (aws::IsSigV4(authorization)) return AuthenticateSigV4(store_, request, authorization);
    if (!StartsWithNoCase(authorization, "Bearer ")) {
      return UnauthenticatedError(
          "unsupported Authorization scheme; send Bearer <token> (or sign with AWS SigV4)");
    }
    std::string token(Trim(std::string_view(authorization).substr(7)));
    if (token.empty()) return UnauthenticatedError("empty bearer token");
    ASSIGN_OR_RETURN(User user, store_.LookupToken(token));
    return CallerFor(user);
  }
  if (auto cookie = CookieValue(request.Header("cookie"), kSessionCookie);
      cookie && !cookie->empty()) {
    ASSIGN_OR_RETURN(SessionInfo session, store_.LookupSession(*cookie));
    server::Caller c = CallerFor(session.user);
    c.session = true;
    std::string sent = request.Header("x-csrf-token");
    c.csrf_valid = !sent.empty() && ConstantTimeEquals(sent, session.csrf_token);
    return c;
  }
  return UnauthenticatedError(
      "authentication required: send Authorization: Bearer <token>, or log in");
}

}  // namespace loupe::auth
