#include "auth/http/session_authenticator.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/testing.h"

namespace loupe::auth {
namespace {

using server::HttpRequest;

TEST(CookieValue, FindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; loupe_session=abc; b=2", "loupe_session"), "abc");
  EXPECT_EQ(CookieValue("loupe_session=xyz", "loupe_session"), "xyz");
  EXPECT_EQ(CookieValue("xloupe_session=1", "loupe_session"), std::nullopt);
  EXPECT_EQ(CookieValue("", "loupe_session"), std::nullopt);
}

class SessionAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    store_ = std::move(AuthStore::Open(*db_, clock_)).value();
    user_ = std::move(store_->CreateUser("rita", Role::kReviewer, {"t1"}, "password-r")).value();
  }
  static HttpRequest Request(std::string method, std::map<std::string, std::string> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = "/x";
    r.headers = std::move(headers);
    return r;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<AuthStore> store_;
  User user_;
};

TEST_F(SessionAuthenticatorTest, BearerTokens) {
  SessionAuthenticator auth(*store_);
  auto token = store_->CreateToken("t", "rita", std::nullopt);
  ASSERT_TRUE(token.ok());
  auto c = auth.Authenticate(Request("POST", {{"authorization", "Bearer " + token->token}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->principal, "rita");
  EXPECT_EQ(c->role, Role::kReviewer);
  EXPECT_EQ(c->teams, std::vector<std::string>{"t1"});
  EXPECT_FALSE(c->session);
  EXPECT_EQ(auth.Authenticate(Request("GET", {{"authorization", "Bearer nope"}})).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(
      auth.Authenticate(Request("GET", {{"authorization", "Basic cml0YTpw"}})).status().code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate(Request("GET")).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(SessionAuthenticatorTest, SessionCookiesCarryTheCsrfCheck) {
  SessionAuthenticator auth(*store_);
  auto s = store_->CreateSession(user_);
  ASSERT_TRUE(s.ok());
  std::string cookie = "theme=dark; loupe_session=" + s->token;
  auto plain = auth.Authenticate(Request("POST", {{"cookie", cookie}}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->session);
  EXPECT_FALSE(plain->csrf_valid);
  auto wrong = auth.Authenticate(Request("POST", {{"cookie", cookie}, {"x-csrf-token", "x"}}));
  EXPECT_FALSE(wrong->csrf_valid);
  auto right =
      auth.Authenticate(Request("POST", {{"cookie", cookie}, {"x-csrf-token", s->csrf_token}}));
  EXPECT_TRUE(right->csrf_valid);
  // An invalid Authorization header does not fall back to the cookie.
  auto bad_bearer =
      auth.Authenticate(Request("GET", {{"cookie", cookie}, {"authorization", "Bearer bad"}}));
  EXPECT_EQ(bad_bearer.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(bad_bearer.status().message().find("unknown API token"), std::string::npos)
      << bad_bearer.status();
  clock_.Advance(std::chrono::hours(13));
  EXPECT_EQ(auth.Authenticate(Request("GET", {{"cookie", cookie}})).status().code(),
            StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace loupe::auth
