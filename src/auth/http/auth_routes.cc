#include "auth/http/auth_routes.h"

#include <nlohmann/json.hpp>

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
              [&store, &limiter, options](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                auto user = StringField(*body, "User", true);
                if (!user.ok()) return HttpResponse::Error(user.status());
                auto password = StringField(*body, "Password", true);
                if (!password.ok()) return HttpResponse::Error(password.status());
                if (auto r = Throttled(limiter, **user, req.remote_addr, "logins")) return *r;
                auto checked = store.CheckPassword(**user, **password);
                if (!checked.ok()) {
                  if (checked.status().code() == StatusCode::kUnauthenticated) {
                    limiter.RecordFailure(**user, req.remote_addr);
                  }
                  return HttpResponse::Error(checked.status());
                }
                limiter.RecordSuccess(**user);
                auto session = store.CreateSession(*checked);
                if (!session.ok()) return HttpResponse::Error(session.status());
                HttpResponse r = HttpResponse::Json(
                    200,
                    CallerJson(checked->name, checked->role, checked->teams, session->csrf_token));
                r.headers.emplace_back(
                    "Set-Cookie", SessionCookie(session->token, store.options().session_absolute,
                                                options.secure_cookies));
                return r;
              }});
  router.Add({"POST", "/v1/auth/logout", Role::kAuthenticated,
              "End this browser session (clears the cookie).",
              [&store, options](const HttpRequest& req) {
                if (auto token = SessionToken(req)) {
                  if (Status s = store.EndSession(*token); !s.ok()) return HttpResponse::Error(s);
                }
                return WithClearedCookie(HttpResponse::NoContent(), options.secure_cookies);
              }});
  router.Add({"GET", "/v1/auth/me", Role::kAuthenticated,
              "The caller: {\"User\",\"Role\",\"Teams\",\"CsrfToken\"} (the token is null for "
              "API-token callers).",
              [&store](const HttpRequest& req) {
                std::optional<std::string> csrf;
                if (auto token = SessionToken(req)) {
                  auto session = store.LookupSession(*token);
                  if (!session.ok()) return HttpResponse::Error(session.status());
                  csrf = session->csrf_token;
                }
                return HttpResponse::Json(200,
                                          CallerJson(req.principal, req.role, req.teams, csrf));
              }});
  router.Add({"PUT", "/v1/auth/password", Role::kAuthenticated,
              "Change your own password: {\"OldPassword\",\"NewPassword\"}; ends your sessions and "
              "revokes your tokens.",
              [&store, &limiter, options](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                auto old_password = StringField(*body, "OldPassword", true);
                if (!old_password.ok()) return HttpResponse::Error(old_password.status());
                auto new_password = StringField(*body, "NewPassword", true);
                if (!new_password.ok()) return HttpResponse::Error(new_password.status());
                if (auto r = Throttled(limiter, req.principal, req.remote_addr, "attempts")) {
                  return *r;
                }
                auto checked = store.CheckPassword(req.principal, **old_password);
                if (!checked.ok()) {
                  if (checked.status().code() != StatusCode::kUnauthenticated) {
                    return HttpResponse::Error(checked.status());
                  }
                  limiter.RecordFailure(req.principal, req.remote_addr);
                  // 403, not 401: the caller is authenticated, the old password is wrong.
                  return HttpResponse::Error(PermissionDeniedError("the old password is wrong"));
                }
                UserChange change;
                change.password = **new_password;
                auto updated = store.UpdateUser(req.principal, change);
                if (!updated.ok()) return HttpResponse::Error(updated.status());
                return WithClearedCookie(HttpResponse::NoContent(), options.secure_cookies);
              }});
}

void AddUserRoutes(server::Router& router, AuthStore& store) {
  router.Add({"GET", "/v1/users", Role::kAdmin, "List users.", [&store](const HttpRequest&) {
                auto users = store.ListUsers();
                if (!users.ok()) return HttpResponse::Error(users.status());
                json list = json::array();
                for (const User& u : *users) list.push_back(UserJson(u));
                return HttpResponse::Json(200, {{"Users", list}});
              }});
  router.Add({"POST", "/v1/users", Role::kAdmin,
              "Create a user: {\"Name\",\"Role\",\"Password\",\"Teams\"?}.",
              [&store](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                auto name = StringField(*body, "Name", true);
                if (!name.ok()) return HttpResponse::Error(name.status());
                auto role_name = StringField(*body, "Role", true);
                if (!role_name.ok()) return HttpResponse::Error(role_name.status());
                auto role = ParseRole(**role_name);
                if (!role.ok()) return HttpResponse::Error(role.status());
                auto password = StringField(*body, "Password", true);
                if (!password.ok()) return HttpResponse::Error(password.status());
                auto teams = TeamsField(*body);
                if (!teams.ok()) return HttpResponse::Error(teams.status());
                auto user = store.CreateUser(
                    **name, *role, teams->value_or(std::vector<std::string>{}), **password);
                if (!user.ok()) return HttpResponse::Error(user.status());
                return HttpResponse::Json(201, UserJson(*user));
              }});
  router.Add(
      {"GET", "/v1/users/([^/]+)", Role::kAdmin, "One user.", [&store](const HttpRequest& req) {
         auto user = store.GetUser(req.path_params[0]);
         if (!user.ok()) return HttpResponse::Error(user.status());
         return HttpResponse::Json(200, UserJson(*user));
       }});
  router.Add({"PUT", "/v1/users/([^/]+)", Role::kAdmin,
              "Change a user: {\"Role\"?,\"Teams\"?,\"Password\"?}; a new password ends their "
              "sessions and revokes their tokens.",
              [&store](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                UserChange change;
                auto role_name = StringField(*body, "Role", false);
                if (!role_name.ok()) return HttpResponse::Error(role_name.status());
                if (*role_name) {
                  auto role = ParseRole(**role_name);
                  if (!role.ok()) return HttpResponse::Error(role.status());
                  change.role = *role;
                }
                auto teams = TeamsField(*body);
                if (!teams.ok()) return HttpResponse::Error(teams.status());
                change.teams = *teams;
                auto password = StringField(*body, "Password", false);
                if (!password.ok()) return HttpResponse::Error(password.status());
                change.password = *password;
                auto user = store.UpdateUser(req.path_params[0], change);
                if (!user.ok()) return HttpResponse::Error(user.status());
                return HttpResponse::Json(200, UserJson(*user));
              }});
  router.Add({"DELETE", "/v1/users/([^/]+)", Role::kAdmin,
              "Delete a user (ends their sessions, revokes their tokens).",
              [&store](const HttpRequest& req) {
                if (Status s = store.DeleteUser(req.path_params[0]); !s.ok()) {
                  return HttpResponse::Error(s);
                }
                return HttpResponse::NoContent();
              }});
}

void AddTokenRoutes(server::Router& router, AuthStore& store) {
  router.Add(
      {"POST", "/v1/tokens", Role::kAdmin,
       "Create an API token: {\"Name\",\"User\"?,\"ExpiresInDays\"?} -> {\"Id\",\"Token\"} "
       "(the token is shown only once).",
       [&store](const HttpRequest& req) {
         auto body = req.JsonBody();
         if (!body.ok()) return HttpResponse::Error(body.status());
         auto name = StringField(*body, "Name", true);
         if (!name.ok()) return HttpResponse::Error(name.status());
         auto user = StringField(*body, "User", false);
         if (!user.ok()) return HttpResponse::Error(user.status());
         std::optional<std::chrono::seconds> lifetime;
         if (body->contains("ExpiresInDays") && !(*body)["ExpiresInDays"].is_null()) {
           const json& days = (*body)["ExpiresInDays"];
           if (!days.is_number_integer() || days.get<int64_t>() < 1 || days.get<int64_t>() > 3650) {
             return HttpResponse::Error(
                 InvalidArgumentError("\"ExpiresInDays\" must be an integer in [1, 3650]"));
           }
           lifetime = std::chrono::hours(24 * days.get<int64_t>());
         }
         std::string owner = user->value_or(req.principal);
         auto token = store.CreateToken(**name, owner, lifetime);
         if (!token.ok()) return HttpResponse::Error(token.status());
         return HttpResponse::Json(
             201, {{"Id", token->id}, {"Token", token->token}, {"Name", **name}, {"User", owner}});
       }});
  router.Add({"GET", "/v1/tokens", Role::kAdmin, "List API tokens (never their values).",
              [&store](const HttpRequest&) {
                auto tokens = store.ListTokens();
                if (!tokens.ok()) return HttpResponse::Error(tokens.status());
                json list = json::array();
                for (const TokenInfo& t : *tokens) list.push_back(TokenJson(t));
                return HttpResponse::Json(200, {{"Tokens", list}});
              }});
  router.Add({"DELETE", "/v1/tokens/([^/]+)", Role::kAdmin, "Revoke an API token.",
              [&store](const HttpRequest& req) {
                if (Status s = store.RevokeToken(req.path_params[0]); !s.ok()) {
                  return HttpResponse::Error(s);
                }
                return HttpResponse::NoContent();
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
