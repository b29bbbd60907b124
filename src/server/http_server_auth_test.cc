// HttpServer's enforcement of route roles through its Authenticator: 401 without credentials,
// 403 for a role that does not allow the route or a session request without its CSRF token,
// the caller filled into the request, and fail-closed without an authenticator.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "server/authenticator.h"
#include "server/http_client.h"
#include "server/http_server.h"

namespace loupe::server {
namespace {

using nlohmann::json;

// Callers by bearer token; "session-<csrf>" tokens act as cookie sessions whose CSRF token is
// "<csrf>"; "down" makes the authenticator fail as if its database were unreachable.
class TableAuthenticator final : public Authenticator {
 public:
  Result<Caller> Authenticate(const HttpRequest& req) const override {
    std::string auth = req.Header("authorization");
    if (auth.empty()) return UnauthenticatedError("no credentials");
    std::string token = auth.substr(7);
    if (token == "down") return UnavailableError("database unreachable");
    if (token.starts_with("session-")) {
      Caller c{"browser", Role::kOperator, {"team-a"}, true, false};
      c.csrf_valid = req.Header("x-csrf-token") == token.substr(8);
      return c;
    }
    static const std::map<std::string, Caller> kCallers = {
        {"admin", {"ada", Role::kAdmin, {}, false, false}},
        {"operator", {"otto", Role::kOperator, {}, false, false}},
        {"reviewer", {"rita", Role::kReviewer, {"team-a", "team-b"}, false, false}},
        {"consumer", {"carl", Role::kConsumer, {}, false, false}}};
    auto it = kCallers.find(token);
    if (it == kCallers.end()) return UnauthenticatedError("unknown token");
    return it->second;
  }
};

HttpResponse Echo(const HttpRequest& req) {
  return HttpResponse::Json(200, {{"principal", req.principal},
                                  {"role", std::string(RoleName(req.role))},
                                  {"teams", req.teams}});
}

class HttpServerAuthTest : public ::testing::Test {
 protected:
  void Start(const Authenticator* authenticator) {
    router_.Add({"GET", "/open", Role::kPublic, "public", Echo});
    router_.Add({"GET", "/me", Role::kAuthenticated, "any account", Echo});
    router_.Add({"GET", "/ops", Role::kOperator, "operator read", Echo});
    router_.Add({"PUT", "/ops", Role::kOperator, "operator write", Echo});
    router_.Add({"GET", "/tasks", Role::kReviewer, "reviewer", Echo});
    router_.Add({"POST", "/detect", Role::kConsumer, "consumer", Echo});
    router_.Add({"DELETE", "/users", Role::kAdmin, "admin", Echo});
    server_ = std::make_unique<HttpServer>(router_, HttpServerOptions{}, authenticator);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    thread_ = std::thread([this] { (void)server_->Run(); });
    url_ = "http://127.0.0.1:" + std::to_string(*port);
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }
  ClientResponse Call(const std::string& token, std::string_view method, const std::string& path,
                      const std::string& csrf = "") {
    auto client = std::move(HttpClient::Create(url_)).value();
    client->SetBearerToken(token);
    client->SetHeader("X-CSRF-Token", csrf);
    auto r = client->Send(method, path, "{}");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }

  TableAuthenticator auth_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string url_;
};

TEST_F(HttpServerAuthTest, NoCredentialsGet401OnNonPublicRoutes) {
  Start(&auth_);
  ClientResponse open = Call("", "GET", "/open");
  EXPECT_EQ(open.status, 200);
  EXPECT_EQ(json::parse(open.body)["principal"], "anonymous");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/me"}, {"GET", "/ops"}, {"PUT", "/ops"}, {"DELETE", "/users"}}) {
    ClientResponse r = Call("", method, path);
    EXPECT_EQ(r.status, 401) << method << " " << path;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "Unauthenticated");
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  }
  EXPECT_EQ(Call("bogus", "GET", "/ops").status, 401);
}

TEST_F(HttpServerAuthTest, RolesAreEnforcedWith403) {
  Start(&auth_);
  struct Case {
    std::string token, method, path;
    int status;
  };
  std::vector<Case> cases = {
      {"consumer", "GET", "/ops", 403},      {"consumer", "POST", "/detect", 200},
      {"consumer", "GET", "/tasks", 403},    {"consumer", "GET", "/me", 200},
      {"reviewer", "GET", "/tasks", 200},    {"reviewer", "POST", "/detect", 403},
      {"reviewer", "PUT", "/ops", 403},      {"operator", "PUT", "/ops", 200},
      {"operator", "GET", "/tasks", 200},    {"operator", "POST", "/detect", 200},
      {"operator", "DELETE", "/users", 403}, {"admin", "DELETE", "/users", 200},
      {"admin", "GET", "/tasks", 200}};
  for (const Case& c : cases) {
    ClientResponse r = Call(c.token, c.method, c.path);
    EXPECT_EQ(r.status, c.status) << c.token << " " << c.method << " " << c.path << ": " << r.body;
    if (c.status == 403) {
      EXPECT_EQ(json::parse(r.body)["error"]["code"], "PermissionDenied");
    }
  }
}

TEST_F(HttpServerAuthTest, HandlersSeeTheCaller) {
  Start(&auth_);
  json body = json::parse(Call("reviewer", "GET", "/tasks").body);
  EXPECT_EQ(body["principal"], "rita");
  EXPECT_EQ(body["role"], "reviewer");
  EXPECT_EQ(body["teams"], json({"team-a", "team-b"}));
  // Valid credentials on a public route name the caller too.
  EXPECT_EQ(json::parse(Call("admin", "GET", "/open").body)["principal"], "ada");
}

TEST_F(HttpServerAuthTest, SessionsNeedTheCsrfTokenOnUnsafeMethods) {
  Start(&auth_);
  EXPECT_EQ(Call("session-s3cret", "GET", "/ops").status, 200);  // safe: no token needed
  ClientResponse refused = Call("session-s3cret", "PUT", "/ops");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("X-CSRF-Token"), std::string::npos);
  EXPECT_EQ(Call("session-s3cret", "PUT", "/ops", "wrong").status, 403);
  EXPECT_EQ(Call("session-s3cret", "PUT", "/ops", "s3cret").status, 200);
  // Bearer tokens need none.
  EXPECT_EQ(Call("operator", "PUT", "/ops").status, 200);
}

TEST_F(HttpServerAuthTest, AuthenticatorFailureIsNotAnAccessDecision) {
  Start(&auth_);
  EXPECT_EQ(Call("down", "GET", "/ops").status, 503);
  EXPECT_EQ(Call("down", "GET", "/open").status, 200);
}

TEST_F(HttpServerAuthTest, WithoutAnAuthenticatorOnlyPublicRoutesAnswer) {
  Start(nullptr);
  EXPECT_EQ(Call("", "GET", "/open").status, 200);
  EXPECT_EQ(Call("admin", "GET", "/ops").status, 401);
  EXPECT_EQ(Call("admin", "GET", "/me").status, 401);
}

TEST(RoleTest, NamesRoundTripAndAllowTable) {
  for (Role r : {Role::kPublic, Role::kAuthenticated, Role::kConsumer, Role::kReviewer,
                 Role::kOperator, Role::kAdmin}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(ParseRole("root").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(RoleAllows(Role::kReviewer, Role::kAuthenticated));
  EXPECT_FALSE(RoleAllows(Role::kPublic, Role::kAuthenticated));
  EXPECT_FALSE(RoleAllows(Role::kConsumer, Role::kReviewer));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Role::kReviewer));
  EXPECT_FALSE(RoleAllows(Role::kOperator, Role::kAdmin));
}

}  // namespace
}  // namespace loupe::server
