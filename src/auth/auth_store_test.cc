#include "auth/auth_store.h"

#include <gtest/gtest.h>

#include "auth/password.h"
#include "auth/secrets_key.h"
#include "core/temp_dir.h"
#include "db/testing.h"

namespace loupe::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class AuthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    store_ = std::move(AuthStore::Open(*db_, clock_)).value();
  }
  User MakeUser(const std::string& name, Role role, std::vector<std::string> teams = {}) {
    auto u = store_->CreateUser(name, role, teams, "password-" + name);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : User{};
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<AuthStore> store_;
};

TEST_F(AuthStoreTest, BootstrapCreatesAdminAndTokenOnlyOnce) {
  auto first =
      store_->Bootstrap(std::string("admin-password"), std::string("bootstrap-token-0123"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(first->token_created);
  EXPECT_FALSE(first->password_generated);
  auto admin = store_->CheckPassword("admin", "admin-password");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->role, Role::kAdmin);
  auto by_token = store_->LookupToken("bootstrap-token-0123");
  ASSERT_TRUE(by_token.ok()) << by_token.status();
  EXPECT_EQ(by_token->name, "admin");

  // A second start (same database, a fresh store as after a restart) changes nothing.
  auto reopened = std::move(AuthStore::Open(*db_, clock_)).value();
  auto second = reopened->Bootstrap(std::string("other-password"), std::string("other-token-0123"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(reopened->ListUsers()->size(), 1u);
  EXPECT_EQ(reopened->ListTokens()->size(), 1u);
  EXPECT_EQ(reopened->CheckPassword("admin", "other-password").status().code(),
            StatusCode::kUnauthenticated);
  auto other_token = reopened->LookupToken("other-token-0123");
  EXPECT_EQ(other_token.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(other_token.status().message().find("unknown API token"), std::string::npos)
      << other_token.status();
}

TEST_F(AuthStoreTest, BootstrapGeneratesAPasswordWhenNoneIsGiven) {
  auto r = store_->Bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->password_generated);
  EXPECT_GE(r->admin_password.size(), 16u);
  EXPECT_FALSE(r->token_created);
  EXPECT_TRUE(store_->CheckPassword("admin", r->admin_password).ok());
  EXPECT_TRUE(store_->ListTokens()->empty());
}

TEST_F(AuthStoreTest, UsersAreValidatedAndPasswordsChecked) {
  User u = MakeUser("rita", Role::kReviewer, {"team-b", "team-a", "team-a"});
  EXPECT_EQ(u.teams, (std::vector<std::string>{"team-a", "team-b"}));
  EXPECT_EQ(store_->CreateUser("rita", Role::kReviewer, {}, "password-x").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateUser("bad/name", Role::kReviewer, {}, "password-x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser("ok", Role::kPublic, {}, "password-x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser("ok", Role::kConsumer, {"bad team"}, "password-x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser("ok", Role::kConsumer, {}, "short").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->CheckPassword("rita", "password-rita").ok());
  auto wrong = store_->CheckPassword("rita", "password-ritA");
  auto unknown = store_->CheckPassword("nobody", "password-rita");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(store_->GetUser("nobody").status().code(), StatusCode::kNotFound);
}

TEST_F(AuthStoreTest, UpdateChangesRoleAndTeamsAndKeepsAnAdmin) {
  MakeUser("ada", Role::kAdmin);
  MakeUser("otto", Role::kOperator);
  UserChange change;
  change.role = Role::kReviewer;
  change.teams = std::vector<std::string>{"night-shift"};
  auto updated = store_->UpdateUser("otto", change);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->role, Role::kReviewer);
  EXPECT_EQ(updated->teams, std::vector<std::string>{"night-shift"});
  UserChange demote;
  demote.role = Role::kOperator;
  EXPECT_EQ(store_->UpdateUser("ada", demote).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->DeleteUser("ada").code(), StatusCode::kFailedPrecondition);
  MakeUser("bea", Role::kAdmin);
  EXPECT_TRUE(store_->DeleteUser("ada").ok());
  EXPECT_EQ(store_->DeleteUser("ada").code(), StatusCode::kNotFound);
}

TEST_F(AuthStoreTest, SessionsExpireWhenIdleAndAtTheirAbsoluteLifetime) {
  User u = MakeUser("otto", Role::kOperator);
  auto s = store_->CreateSession(u);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->token.size(), 64u);
  auto found = store_->LookupSession(s->token);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->user.name, "otto");
  EXPECT_EQ(found->csrf_token, s->csrf_token);
  EXPECT_EQ(store_->LookupSession("nope").status().code(), StatusCode::kUnauthenticated);

  // Idle: used every 11 h it stays alive; 12 h without use ends it.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(hours(11));
    ASSERT_TRUE(store_->LookupSession(s->token).ok()) << i;
  }
  clock_.Advance(hours(12));
  EXPECT_EQ(store_->LookupSession(s->token).status().code(), StatusCode::kUnauthenticated);

  // Absolute: even a session in constant use ends after 7 days.
  auto busy = store_->CreateSession(u);
  ASSERT_TRUE(busy.ok());
  for (int i = 0; i < 7 * 24 - 1; ++i) {
    clock_.Advance(hours(1));
    ASSERT_TRUE(store_->LookupSession(busy->token).ok()) << i;
  }
  clock_.Advance(minutes(61));
  EXPECT_EQ(store_->LookupSession(busy->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthStoreTest, LogoutEndsOneSession) {
  User u = MakeUser("otto", Role::kOperator);
  auto a = store_->CreateSession(u);
  auto b = store_->CreateSession(u);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->csrf_token, b->csrf_token);
  ASSERT_TRUE(store_->EndSession(a->token).ok());
  auto ended = store_->LookupSession(a->token);
  EXPECT_EQ(ended.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(ended.status().message().find("ended session"), std::string::npos) << ended.status();
  EXPECT_TRUE(store_->LookupSession(b->token).ok());
}

TEST_F(AuthStoreTest, TokensAreStoredHashedAndRevocable) {
  MakeUser("carl", Role::kConsumer);
  auto t = store_->CreateToken("uploader", "carl", std::nullopt);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->token.size(), 64u);
  auto user = store_->LookupToken(t->token);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name, "carl");
  EXPECT_EQ(user->role, Role::kConsumer);
  // Only the hash is in the database.
  bool plain_found = false;
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) {
                   auto rows = tx.Query("SELECT token_hash FROM auth_tokens");
                   if (!rows.ok()) return rows.status();
                   for (const auto& row : *rows) plain_found |= row.Text(0) == t->token;
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_FALSE(plain_found);
  auto listed = store_->ListTokens();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, t->id);
  EXPECT_TRUE((*listed)[0].last_used_at.has_value());

  ASSERT_TRUE(store_->RevokeToken(t->id).ok());
  EXPECT_EQ(store_->LookupToken(t->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->RevokeToken(t->id).ok());
  EXPECT_EQ(store_->RevokeToken("tok_missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->LookupToken("never-issued").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->CreateToken("x", "nobody", std::nullopt).status().code(),
            StatusCode::kNotFound);
}

// An AWS key pair opens with the server's secrets key only, dies with its token, and its
// secret is not in the database in plain text.
TEST_F(AuthStoreTest, AwsKeysAreSealedAndRevocable) {
  MakeUser("carl", Role::kConsumer);
  EXPECT_EQ(store_->CreateAwsKey("cli", "carl", std::nullopt).status().code(),
            StatusCode::kFailedPrecondition);  // a store without a secrets key
  AuthOptions options;
  options.secrets_key = std::string(kSecretsKeyBytes, 'k');
  auto store = std::move(AuthStore::Open(*db_, clock_, options)).value();
  auto key = store->CreateAwsKey("cli", "carl", hours(24));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->access_key_id.size(), 20u);
  EXPECT_EQ(key->access_key_id.rfind("LKIA", 0), 0u);
  EXPECT_EQ(key->secret_access_key.size(), 40u);
  auto found = store->LookupAwsKey(key->access_key_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->user.name, "carl");
  EXPECT_EQ(found->user.role, Role::kConsumer);
  EXPECT_EQ(found->secret_access_key, key->secret_access_key);
  bool plain_found = false;
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) {
                   auto rows = tx.Query("SELECT sealed_secret, access_key_id FROM auth_aws_keys");
                   if (!rows.ok()) return rows.status();
                   for (const auto& row : *rows) {
                     plain_found |= row.Text(0).find(key->secret_access_key) != std::string::npos;
                   }
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_FALSE(plain_found);
  // Another server key cannot open it.
  AuthOptions other;
  other.secrets_key = std::string(kSecretsKeyBytes, 'x');
  auto stranger = std::move(AuthStore::Open(*db_, clock_, other)).value();
  EXPECT_EQ(stranger->LookupAwsKey(key->access_key_id).status().code(), StatusCode::kDataLoss);
  // Unknown, expired and revoked keys are refused.
  EXPECT_EQ(store->LookupAwsKey("LKIANOSUCHKEY0000000").status().code(),
            StatusCode::kUnauthenticated);
  clock_.Advance(hours(25));
  EXPECT_EQ(store->LookupAwsKey(key->access_key_id).status().code(), StatusCode::kUnauthenticated);
  auto second = store->CreateAwsKey("cli-2", "carl", std::nullopt);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(store->LookupAwsKey(second->access_key_id).ok());
  ASSERT_TRUE(store->RevokeToken(second->token_id).ok());
  auto revoked = store->LookupAwsKey(second->access_key_id);
  EXPECT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos) << revoked.status();
}

TEST(SecretsKeyTest, FileIsCreatedOnceAndEnvironmentWins) {
  TempDir dir;
  auto first = LoadSecretsKey(dir.path() / "secrets.key", std::nullopt);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), kSecretsKeyBytes);
  EXPECT_EQ(std::filesystem::status(dir.path() / "secrets.key").permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  EXPECT_EQ(*LoadSecretsKey(dir.path() / "secrets.key", std::nullopt), *first);
  auto env = LoadSecretsKey(dir.path() / "secrets.key", std::string(64, 'a'));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, std::string(kSecretsKeyBytes, '\xaa'));
  EXPECT_EQ(LoadSecretsKey(dir.path() / "x", std::string("abc")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadSecretsKey(dir.path() / "x", std::string(64, 'z')).status().code(),
            StatusCode::kInvalidArgument);
  std::string sealed = Seal(*first, "LKIA1", "secret");
  EXPECT_EQ(*Unseal(*first, "LKIA1", sealed), "secret");
  EXPECT_EQ(Unseal(*first, "LKIA2", sealed).status().code(), StatusCode::kDataLoss);
  EXPECT_NE(Seal(*first, "LKIA1", "secret"), sealed);  // a fresh nonce each time
}

TEST_F(AuthStoreTest, TokensExpire) {
  MakeUser("carl", Role::kConsumer);
  auto t = store_->CreateToken("short-lived", "carl", hours(24));
  ASSERT_TRUE(t.ok());
  clock_.Advance(hours(23));
  EXPECT_TRUE(store_->LookupToken(t->token).ok());
  clock_.Advance(hours(1));
  EXPECT_EQ(store_->LookupToken(t->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthStoreTest, PasswordChangeAndDeletionEndSessionsAndRevokeTokens) {
  User u = MakeUser("otto", Role::kOperator);
  MakeUser("ada", Role::kAdmin);
  auto session = store_->CreateSession(u);
  auto token = store_->CreateToken("ci", "otto", std::nullopt);
  auto other = store_->CreateSession(*store_->GetUser("ada"));
  ASSERT_TRUE(session.ok() && token.ok() && other.ok());
  UserChange change;
  change.password = "a new password";
  ASSERT_TRUE(store_->UpdateUser("otto", change).ok());
  EXPECT_EQ(store_->LookupSession(session->token).status().code(), StatusCode::kUnauthenticated);
  auto revoked = store_->LookupToken(token->token);
  EXPECT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos) << revoked.status();
  EXPECT_TRUE(store_->LookupSession(other->token).ok());  // other users keep theirs
  EXPECT_TRUE(store_->CheckPassword("otto", "a new password").ok());
  EXPECT_EQ(store_->CheckPassword("otto", "password-otto").status().code(),
            StatusCode::kUnauthenticated);

  auto again = store_->CreateSession(*store_->GetUser("otto"));
  auto token2 = store_->CreateToken("ci2", "otto", std::nullopt);
  ASSERT_TRUE(again.ok() && token2.ok());
  ASSERT_TRUE(store_->DeleteUser("otto").ok());
  EXPECT_EQ(store_->LookupSession(again->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->LookupToken(token2->token).status().code(), StatusCode::kUnauthenticated);
  // A new account with the old name does not inherit the old credentials.
  MakeUser("otto", Role::kOperator);
  auto inherited = store_->LookupToken(token2->token);
  EXPECT_EQ(inherited.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(inherited.status().message().find("revoked"), std::string::npos) << inherited.status();
}

TEST_F(AuthStoreTest, RoleChangesApplyToLiveSessions) {
  User u = MakeUser("otto", Role::kOperator);
  auto s = store_->CreateSession(u);
  ASSERT_TRUE(s.ok());
  UserChange change;
  change.role = Role::kReviewer;
  ASSERT_TRUE(store_->UpdateUser("otto", change).ok());
  EXPECT_EQ(store_->LookupSession(s->token)->user.role, Role::kReviewer);
}

}  // namespace
}  // namespace loupe::auth
