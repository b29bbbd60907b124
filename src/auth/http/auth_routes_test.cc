// The auth routes over real HTTP in-process, with the SessionAuthenticator enforcing roles and
// a FakeClock driving the login limiter and session expiry (no sleeping).
#include "auth/http/auth_routes.h"

#include <gtest/gtest.h>

#include <thread>

#include "auth/http/session_authenticator.h"
#include "core/temp_dir.h"
#include "db/testing.h"
#include "server/http_client.h"
#include "server/http_server.h"

namespace loupe::auth {
namespace {

using nlohmann::json;
using server::ClientResponse;
using server::HttpClient;

class AuthRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    store_ = std::move(AuthStore::Open(*db_, clock_)).value();
    ASSERT_TRUE(store_->Bootstrap(std::string("admin-password"), std::string(kAdminToken)).ok());
    limiter_ = std::make_unique<LoginLimiter>(clock_);
    authenticator_ = std::make_unique<SessionAuthenticator>(*store_);
    AddAuthRoutes(router_, *store_, *limiter_, {.secure_cookies = true});
    server_ = std::make_unique<server::HttpServer>(router_, server::HttpServerOptions{},
                                                   authenticator_.get());
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    url_ = "http://127.0.0.1:" + std::to_string(*port);
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  void TearDown() override {
    server_->Stop();
    thread_.join();
  }
  std::unique_ptr<HttpClient> Client(const std::string& token = "") {
    auto c = std::move(HttpClient::Create(url_)).value();
    c->SetBearerToken(token);
    return c;
  }
  static ClientResponse Send(HttpClient& c, std::string_view method, const std::string& path,
                             const json& body = nullptr) {
    auto r = c.Send(method, path, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }
  ClientResponse Login(const std::string& user, const std::string& password) {
    auto c = Client();
    return Send(*c, "POST", "/v1/auth/login", {{"User", user}, {"Password", password}});
  }
  // The session cookie's value from a login response.
  static std::string SessionOf(const ClientResponse& login) {
    std::string cookie = login.headers.count("set-cookie") ? login.headers.at("set-cookie") : "";
    return CookieValue(cookie.substr(0, cookie.find(';')), kSessionCookie).value_or("");
  }

  static constexpr const char* kAdminToken = "admin-bootstrap-token-for-tests";
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<AuthStore> store_;
  std::unique_ptr<LoginLimiter> limiter_;
  std::unique_ptr<SessionAuthenticator> authenticator_;
  server::Router router_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
  std::string url_;
};

TEST_F(AuthRoutesTest, LoginSetsAStrictHttpOnlyCookieAndMeReturnsTheCsrfToken) {
  ClientResponse login = Login("admin", "admin-password");
  ASSERT_EQ(login.status, 200) << login.body;
  json body = json::parse(login.body);
  EXPECT_EQ(body["User"], "admin");
  EXPECT_EQ(body["Role"], "admin");
  EXPECT_EQ(body["Teams"], json::array());
  std::string csrf = body["CsrfToken"];
  std::string cookie = login.headers["set-cookie"];
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Secure"), std::string::npos) << cookie;

  auto browser = Client();
  browser->SetHeader("Cookie", std::string(kSessionCookie) + "=" + SessionOf(login));
  ClientResponse me = Send(*browser, "GET", "/v1/auth/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body)["CsrfToken"], csrf);
  // Unsafe requests need the CSRF token.
  EXPECT_EQ(Send(*browser, "POST", "/v1/tokens", {{"Name", "x"}}).status, 403);
  browser->SetHeader("X-CSRF-Token", csrf);
  EXPECT_EQ(Send(*browser, "POST", "/v1/tokens", {{"Name", "x"}}).status, 201);
  // Logout ends the session.
  ClientResponse out = Send(*browser, "POST", "/v1/auth/logout");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Send(*browser, "GET", "/v1/auth/me").status, 401);
}

TEST_F(AuthRoutesTest, RepeatedFailuresGet429UntilTheDelayPasses) {
  for (int i = 0; i < 5; ++i) {
    ClientResponse r = Login("admin", "wrong-password");
    ASSERT_EQ(r.status, 401) << i << r.body;
  }
  ClientResponse locked = Login("admin", "admin-password");  // even the right one waits
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(locked.headers["retry-after"], "1");
  EXPECT_EQ(json::parse(locked.body)["error"]["code"], "ResourceExhausted");
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Login("admin", "wrong-password").status, 401);
  ClientResponse longer = Login("admin", "admin-password");
  EXPECT_EQ(longer.status, 429);
  EXPECT_EQ(longer.headers["retry-after"], "2");
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Login("admin", "admin-password").status, 200);
  // Success cleared the name's failures.
  EXPECT_EQ(Login("admin", "wrong-password").status, 401);
  EXPECT_EQ(Login("admin", "admin-password").status, 200);
}

TEST_F(AuthRoutesTest, SessionsExpireOnTheClock) {
  ClientResponse login = Login("admin", "admin-password");
  auto browser = Client();
  browser->SetHeader("Cookie", std::string(kSessionCookie) + "=" + SessionOf(login));
  EXPECT_EQ(Send(*browser, "GET", "/v1/users").status, 200);
  clock_.Advance(std::chrono::hours(12));
  EXPECT_EQ(Send(*browser, "GET", "/v1/users").status, 401);
}

TEST_F(AuthRoutesTest, UsersAndTokensThroughTheApi) {
  auto admin = Client(kAdminToken);
  ClientResponse created = Send(*admin, "POST", "/v1/users",
                                {{"Name", "rita"},
                                 {"Role", "reviewer"},
                                 {"Teams", {"night"}},
                                 {"Password", "rita-password"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(
      Send(*admin, "POST", "/v1/users", {{"Name", "x"}, {"Role", "root"}, {"Password", "12345678"}})
          .status,
      400);
  EXPECT_EQ(Send(*admin, "GET", "/v1/users/rita").status, 200);
  EXPECT_EQ(Send(*admin, "GET", "/v1/users/nobody").status, 404);
  ClientResponse token =
      Send(*admin, "POST", "/v1/tokens", {{"Name", "rita-cli"}, {"User", "rita"}});
  ASSERT_EQ(token.status, 201) << token.body;
  std::string rita_token = json::parse(token.body)["Token"];
  std::string rita_id = json::parse(token.body)["Id"];
  auto rita = Client(rita_token);
  ClientResponse me = Send(*rita, "GET", "/v1/auth/me");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(json::parse(me.body)["Role"], "reviewer");
  EXPECT_EQ(json::parse(me.body)["Teams"], json({"night"}));
  EXPECT_TRUE(json::parse(me.body)["CsrfToken"].is_null());
  EXPECT_EQ(Send(*rita, "GET", "/v1/users").status, 403);
  EXPECT_EQ(Send(*rita, "POST", "/v1/tokens", {{"Name", "mine"}}).status, 403);

  // Own password change needs the old one, then ends sessions and tokens.
  EXPECT_EQ(Send(*rita, "PUT", "/v1/auth/password",
                 {{"OldPassword", "nope-nope"}, {"NewPassword", "rita-password-2"}})
                .status,
            403);
  EXPECT_EQ(Send(*rita, "PUT", "/v1/auth/password",
                 {{"OldPassword", "rita-password"}, {"NewPassword", "rita-password-2"}})
                .status,
            204);
  EXPECT_EQ(Send(*rita, "GET", "/v1/auth/me").status, 401);
  EXPECT_EQ(Login("rita", "rita-password-2").status, 200);

  ClientResponse listed = Send(*admin, "GET", "/v1/tokens");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(rita_token), std::string::npos);  // values are never listed
  EXPECT_NE(listed.body.find(rita_id), std::string::npos);
  EXPECT_EQ(Send(*admin, "DELETE", "/v1/tokens/" + rita_id).status, 204);
  EXPECT_EQ(Send(*admin, "DELETE", "/v1/tokens/tok_nope").status, 404);
  EXPECT_EQ(Send(*admin, "PUT", "/v1/users/rita", {{"Role", "operator"}}).status, 200);
  EXPECT_EQ(Send(*admin, "DELETE", "/v1/users/rita").status, 204);
  EXPECT_EQ(Send(*admin, "DELETE", "/v1/users/admin").status, 409);  // the last admin stays
}

}  // namespace
}  // namespace loupe::auth
