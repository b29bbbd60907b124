#include "auth/http/auth_routes.h"

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/http/session_authenticator.h"

namespace loupe::auth {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;

json UserJson(const User& u) {
  return {{"Name", u.name},
          {"Role", std::string(RoleName(u.role))},
          {"Teams", u.teams},
          {"CreatedAt", FormatRfc3339(u.created_at)},
          {"UpdatedAt", FormatRfc3339(u.updated_at)}};
}

json OptTimeJson(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

json TokenJson(const TokenInfo& t) {
  return {{"Id", t.id},
          {"Name", t.name},
          {"User", t.user},
          {"CreatedAt", FormatRfc3339(t.created_at)},
          {"ExpiresAt", OptTimeJson(t.expires_at)},
          {"RevokedAt", OptTimeJson(t.revoked_at)},
          {"LastUsedAt", OptTimeJson(t.last_used_at)}};
}

json CallerJson(const std::string& user, Role role, const std::vector<std::string>& teams,
                const std::optional<std::string>& csrf) {
  return {{"User", user},
          {"Role", std::string(RoleName(role))},
          {"Teams", teams},
          {"CsrfToken", csrf ? json(*csrf) : json(nullptr)}};
}

// A string field of `body`: required fields must be present; all must be strings.
Result<std::optional<std::string>> StringField(const json& body, const char* name, bool required) {
  if (!body.contains(name) || body[name].is_null()) {
    if (required) return InvalidArgumentError(std::string("missing field \"") + name + "\"");
    return std::optional<std::string>();
  }
  if (!body[name].is_string()) {
    return InvalidArgumentError(std::string("field \"") + name + "\" must be a string");
  }
  return std::optional<std::string>(body[name].get<std::string>());
}

Result<std::optional<std::vector<std::string>>> TeamsField(const json& body) {
  if (!body.contains("Teams") || body["Teams"].is_null()) {
    return std::optional<std::vector<std::string>>();
  }
  const json& teams = body["Teams"];
  if (!teams.is_array()) return InvalidArgumentError("field \"Teams\" must be an array");
  std::vector<std::string> out;
  for (const json& t : teams) {
    if (!t.is_string()) return InvalidArgumentError("\"Teams\" must hold strings");
    out.push_back(t.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

// A string field that must be present.
Result<std::string> RequiredString(const json& body, const char* name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, StringField(body, name, true));
  return *std::move(value);
}

// A route handler that may fail early: a failed Status becomes the JSON error response.
server::Handler Handle(std::function<Result<HttpResponse>(const HttpRequest&)> handler) {
  return [handler = std::move(handler)](const HttpRequest& req) {
    Result<HttpResponse> r = handler(req);
    return r.ok() ? *std::move(r) : HttpResponse::Error(r.status());
  };
}

// 204, or the error of `s`.
HttpResponse NoContentOr(const Status& s) {
  return s.ok() ? HttpResponse::NoContent() : HttpResponse::Error(s);
}

std::string SessionCookie(const std::string& value, std::chrono::seconds max_age, bool secure) {
  std::string c = std::string(kSessionCookie) + "=" + value +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
  if (secure) c += "; Secure";
  return c;
}

HttpResponse WithClearedCookie(HttpResponse r, bool secure) {
  r.headers.emplace_back("Set-Cookie", SessionCookie("", std::chrono::seconds(0), secure));
  return r;
}

std::optional<std::string> SessionToken(const HttpRequest& req) {
  if (!req.Header("authorization").empty()) return std::nullopt;
  return CookieValue(req.Header("cookie"), kSessionCookie);
}

// 429 with Retry-After while `limiter` holds `user` at `addr` back after failed `what`.
std::optional<HttpResponse> Throttled(LoginLimiter& limiter, const std::string& user,
                                      const std::string& addr, const std::string& what) {
  auto wait = limiter.RetryAfter(user, addr);
  if (!wait) return std::nullopt;
  HttpResponse r = HttpResponse::Error(ResourceExhaustedError(
      "too many failed " + what + "; try again in " + std::to_string(wait->count()) + " s"));
  r.headers.emplace_back("Retry-After", std::to_string(wait->count()));
  return r;
}

void AddSessionRoutes(server::Router& router, AuthStore& store, LoginLimiter& limiter,
                      AuthRouteOptions options) {
  router.Add({"POST", "/v1/auth/login", Role::kPublic,
              "Log in: {\"User\",\"Password\"} -> session cookie and {\"User\",\"Role\",\"Teams\","
              "\"CsrfToken\"}; repeated failures get 429 with Retry-After.",
              Handle([&store, &limiter, options](const HttpRequest& req) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(json body, req.JsonBody());
                ASSIGN_OR_RETURN(std::string user, RequiredString(body, "User"));
                ASSIGN_OR_RETURN(std::string password, RequiredString(body, "Password"));
                if (auto r = Throttled(limiter, user, req.remote_addr, "logins")) return *r;
                auto checked = store.CheckPassword(user, password);
                if (!checked.ok()) {
                  if (checked.status().code() == StatusCode::kUnauthenticated) {
                    limiter.RecordFailure(user, req.remote_addr);
                  }
                  return checked.status();
                }
                limiter.RecordSuccess(user);
                ASSIGN_OR_RETURN(NewSession session, store.CreateSession(*checked));
                HttpResponse r = HttpResponse::Json(
                    200,
                    CallerJson(checked->name, checked->role, checked->teams, session.csrf_token));
                r.headers.emplace_back(
                    "Set-Cookie", SessionCookie(session.token, store.options().session_absolute,
                                                options.secure_cookies));
                return r;
              })});
  router.Add({"POST", "/v1/auth/logout", Role::kAuthenticated,
              "End this browser session (clears the cookie).",
              Handle([&store, options](const HttpRequest& req) -> Result<HttpResponse> {
                if (auto token = SessionToken(req)) {
                  RETURN_IF_ERROR(store.EndSession(*token));
                }
                return WithClearedCookie(HttpResponse::NoContent(), options.secure_cookies);
              })});
  router.Add({"GET", "/v1/auth/me", Role::kAuthenticated,
              "The caller: {\"User\",\"Role\",\"Teams\",\"CsrfToken\"} (the token is null for "
              "API-token callers).",
              Handle([&store](const HttpRequest& req) -> Result<HttpResponse> {
                std::optional<std::string> csrf;
                if (auto token = SessionToken(req)) {
                  ASSIGN_OR_RETURN(SessionInfo session, store.LookupSession(*token));
                  csrf = session.csrf_token;
                }
                return HttpResponse::Json(200,
                                          CallerJson(req.principal, req.role, req.teams, csrf));
              })});
  router.Add({"PUT", "/v1/auth/password", Role::kAuthenticated,
              "Change your own password: {\"OldPassword\",\"NewPassword\"}; ends your sessions and "
              "revokes your tokens.",
              Handle([&store, &limiter, options](const HttpRequest& req) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(json body, req.JsonBody());
                ASSIGN_OR_RETURN(std::string old_password, RequiredString(body, "OldPassword"));
                ASSIGN_OR_RETURN(std::string new_password, RequiredString(body, "NewPassword"));
                if (auto r = Throttled(limiter, req.principal, req.remote_addr, "attempts")) {
                  return *r;
                }
                auto checked = store.CheckPassword(req.principal, old_password);
                if (!checked.ok()) {
                  if (checked.status().code() != StatusCode::kUnauthenticated) {
                    return checked.status();
                  }
                  limiter.RecordFailure(req.principal, req.remote_addr);
                  // 403, not 401: the caller is authenticated, the old password is wrong.
                  return PermissionDeniedError("the old password is wrong");
                }
                UserChange change;
                change.password = new_password;
                RETURN_IF_ERROR(store.UpdateUser(req.principal, change).status());
                return WithClearedCookie(HttpResponse::NoContent(), options.secure_cookies);
              })});
}

void AddUserRoutes(server::Router& router, AuthStore& store) {
  router.Add({"GET", "/v1/users", Role::kAdmin, "List users.",
              Handle([&store](const HttpRequest&) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(std::vector<User> users, store.ListUsers());
                json list = json::array();
                for (const User& u : users) list.push_back(UserJson(u));
                return HttpResponse::Json(200, {{"Users", list}});
              })});
  router.Add(
      {"POST", "/v1/users", Role::kAdmin,
       "Create a user: {\"Name\",\"Role\",\"Password\",\"Teams\"?}.",
       Handle([&store](const HttpRequest& req) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(json body, req.JsonBody());
         ASSIGN_OR_RETURN(std::string name, RequiredString(body, "Name"));
         ASSIGN_OR_RETURN(std::string role_name, RequiredString(body, "Role"));
         ASSIGN_OR_RETURN(Role role, ParseRole(role_name));
         ASSIGN_OR_RETURN(std::string password, RequiredString(body, "Password"));
         ASSIGN_OR_RETURN(auto teams, TeamsField(body));
         ASSIGN_OR_RETURN(
             User user,
             store.CreateUser(name, role, teams.value_or(std::vector<std::string>{}), password));
         return HttpResponse::Json(201, UserJson(user));
       })});
  router.Add({"GET", "/v1/users/([^/]+)", Role::kAdmin, "One user.",
              Handle([&store](const HttpRequest& req) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(User user, store.GetUser(req.path_params[0]));
                return HttpResponse::Json(200, UserJson(user));
              })});
  router.Add({"PUT", "/v1/users/([^/]+)", Role::kAdmin,
              "Change a user: {\"Role\"?,\"Teams\"?,\"Password\"?}; a new password ends their "
              "sessions and revokes their tokens.",
              Handle([&store](const HttpRequest& req) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(json body, req.JsonBody());
                UserChange change;
                ASSIGN_OR_RETURN(std::optional<std::string> role_name,
                                 StringField(body, "Role", false));
                if (role_name) {
                  ASSIGN_OR_RETURN(change.role, ParseRole(*role_name));
                }
                ASSIGN_OR_RETURN(change.teams, TeamsField(body));
                ASSIGN_OR_RETURN(change.password, StringField(body, "Password", false));
                ASSIGN_OR_RETURN(User user, store.UpdateUser(req.path_params[0], change));
                return HttpResponse::Json(200, UserJson(user));
              })});
  router.Add({"DELETE", "/v1/users/([^/]+)", Role::kAdmin,
              "Delete a user (ends their sessions, revokes their tokens).",
              [&store](const HttpRequest& req) {
                return NoContentOr(store.DeleteUser(req.path_params[0]));
              }});
}

// The optional "ExpiresInDays" of a token request as a lifetime (unset = no expiry).
Result<std::optional<std::chrono::seconds>> LifetimeField(const json& body) {
  if (!body.contains("ExpiresInDays") || body["ExpiresInDays"].is_null()) {
    return std::optional<std::chrono::seconds>();
  }
  const json& days = body["ExpiresInDays"];
  if (!days.is_number_integer() || days.get<int64_t>() < 1 || days.get<int64_t>() > 3650) {
    return InvalidArgumentError("\"ExpiresInDays\" must be an integer in [1, 3650]");
  }
  return std::optional<std::chrono::seconds>(std::chrono::hours(24 * days.get<int64_t>()));
}

void AddTokenRoutes(server::Router& router, AuthStore& store) {
  router.Add({"POST", "/v1/tokens", Role::kAdmin,
              "Create an API token: {\"Name\",\"User\"?,\"ExpiresInDays\"?,\"Aws\"?} -> "
              "{\"Id\",\"Token\"}, or with \"Aws\": true an AWS access key for SigV4 clients "
              "{\"Id\",\"AccessKeyId\",\"SecretAccessKey\"} (shown only once).",
              Handle([&store](const HttpRequest& req) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(json body, req.JsonBody());
                ASSIGN_OR_RETURN(std::string name, RequiredString(body, "Name"));
                ASSIGN_OR_RETURN(std::optional<std::string> user, StringField(body, "User", false));
                ASSIGN_OR_RETURN(auto lifetime, LifetimeField(body));
                std::string owner = user.value_or(req.principal);
                bool aws = body.contains("Aws") && body["Aws"].is_boolean() && body["Aws"];
                if (body.contains("Aws") && !body["Aws"].is_boolean()) {
                  return InvalidArgumentError("\"Aws\" must be true or false");
                }
                if (aws) {
                  ASSIGN_OR_RETURN(NewAwsKey key, store.CreateAwsKey(name, owner, lifetime));
                  return HttpResponse::Json(201, {{"Id", key.token_id},
                                                  {"Name", name},
                                                  {"User", owner},
                                                  {"AccessKeyId", key.access_key_id},
                                                  {"SecretAccessKey", key.secret_access_key}});
                }
                ASSIGN_OR_RETURN(NewToken token, store.CreateToken(name, owner, lifetime));
                return HttpResponse::Json(
                    201,
                    {{"Id", token.id}, {"Token", token.token}, {"Name", name}, {"User", owner}});
              })});
  router.Add({"GET", "/v1/tokens", Role::kAdmin, "List API tokens (never their values).",
              Handle([&store](const HttpRequest&) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, store.ListTokens());
                json list = json::array();
                for (const TokenInfo& t : tokens) list.push_back(TokenJson(t));
                return HttpResponse::Json(200, {{"Tokens", list}});
              })});
  router.Add({"DELETE", "/v1/tokens/([^/]+)", Role::kAdmin, "Revoke an API token.",
              [&store](const HttpRequest& req) {
                return NoContentOr(store.RevokeToken(req.path_params[0]));
              }});
}

}  // namespace

void AddAuthRoutes(server::Router& router, AuthStore& store, LoginLimiter& limiter,
                   AuthRouteOptions options) {
  AddSessionRoutes(router, store, limiter, options);
  AddUserRoutes(router, store);
  AddTokenRoutes(router, store);
}

}  // namespace loupe::auth
