#pragma once
// AuthStore: loupe's accounts and credentials in the shared database. Users (name, role,
// teams, argon2id password hash), browser sessions (cookie value and CSRF token; only the
// SHA-256 of the cookie value is stored) and API tokens (32 random bytes shown once; only
// their SHA-256 is stored; revocable, optionally expiring). Sessions expire after an idle time
// and an absolute lifetime measured on the injected Clock. Changing a password or deleting a
// user ends their sessions and revokes their tokens. Thread-safe (all state is in the
// database).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/role.h"
#include "db/database.h"

namespace loupe::auth {

struct User {
  std::string name;
  Role role = Role::kConsumer;
  std::vector<std::string> teams;  // workforces the user belongs to (0..n)
  TimePoint created_at;
  TimePoint updated_at;
};

// A partial update of a user; unset fields keep their value.
struct UserChange {
  std::optional<Role> role;
  std::optional<std::vector<std::string>> teams;
  std::optional<std::string> password;  // ends the user's sessions and revokes their tokens
};

struct NewSession {
  std::string token;       // the cookie value; stored only hashed
  std::string csrf_token;  // must accompany unsafe requests made with the cookie
  User user;
};

struct SessionInfo {
  User user;
  std::string csrf_token;
};

struct TokenInfo {
  std::string id;
  std::string name;
  std::string user;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> last_used_at;
};

struct NewToken {
  std::string id;
  std::string token;  // shown once; stored only hashed
};

// An AWS-style access key pair belonging to an API token (SigV4 clients: the aws CLI, boto3).
struct NewAwsKey {
  std::string token_id;           // revoking this token revokes the key
  std::string access_key_id;      // "LKIA" + 16 characters
  std::string secret_access_key;  // shown once; stored sealed under the server's secrets key
};

// A valid key's owner and secret (to check a signature with).
struct AwsKey {
  User user;
  std::string secret_access_key;
};

struct BootstrapResult {
  bool created = false;        // false when accounts already existed (not a first start)
  std::string admin_password;  // the admin's password when created (generated or given)
  bool password_generated = false;
  bool token_created = false;
};

struct AuthOptions {
  std::chrono::seconds session_idle{std::chrono::hours(12)};
  std::chrono::seconds session_absolute{std::chrono::hours(24 * 7)};
  // 32 bytes that seal AWS secret keys in the database (XChaCha20-Poly1305, the access key id
  // as associated data), kept outside it (secrets_key.h), so that a dump of the database alone
  // does not reveal them. SigV4 needs the secret itself, so it cannot be stored as a hash.
  // Empty = AWS keys cannot be created or used (FailedPrecondition).
  std::string secrets_key;
};

// The first account's name.
inline constexpr const char* kAdminUser = "admin";

// Names of users and teams: 1..64 characters, letters, digits and . _ @ -, starting with a
// letter or digit. InvalidArgument with the reason otherwise.
Status ValidateName(std::string_view what, std::string_view name);

class AuthStore {
 public:
  // Applies the auth schema migrations. `db` and `clock` must outlive the store.
  static Result<std::unique_ptr<AuthStore>> Open(db::Database& db, const Clock& clock,
                                                 AuthOptions options = {});

  const AuthOptions& options() const { return options_; }

  // First start (no accounts yet): creates the admin account with `admin_password` (or a
  // random one) and, when `bootstrap_token` is set, an admin API token with exactly that value.
  // Later starts change nothing.
  Result<BootstrapResult> Bootstrap(const std::optional<std::string>& admin_password,
                                    const std::optional<std::string>& bootstrap_token);

  // Users. AlreadyExists, NotFound, InvalidArgument as expected; FailedPrecondition when a
  // change would leave no admin.
  Result<User> CreateUser(const std::string& name, Role role, const std::vector<std::string>& teams,
                          const std::string& password);
  Result<std::vector<User>> ListUsers() const;
  Result<User> GetUser(const std::string& name) const;
  Result<User> UpdateUser(const std::string& name, const UserChange& change);
  Status DeleteUser(const std::string& name);
  // The user if `password` is theirs; Unauthenticated otherwise (same message and about the
  // same time for unknown users and wrong passwords).
  Result<User> CheckPassword(const std::string& name, const std::string& password) const;

  // Sessions.
  Result<NewSession> CreateSession(const User& user);
  // Unauthenticated when unknown or expired (an expired session is deleted).
  Result<SessionInfo> LookupSession(const std::string& token);
  Status EndSession(const std::string& token);

  // API tokens. `lifetime` unset = no expiry.
  Result<NewToken> CreateToken(const std::string& name, const std::string& user,
                               std::optional<std::chrono::seconds> lifetime);
  Result<std::vector<TokenInfo>> ListTokens() const;
  // NotFound for an unknown id; revoking twice is not an error.
  Status RevokeToken(const std::string& id);
  // The token's user; Unauthenticated when unknown, revoked or expired.
  Result<User> LookupToken(const std::string& token);

  // AWS access keys: a token (listed and revoked like any) with an access key id and a secret,
  // for SigV4 clients. The token's bearer value is never shown, so the key is its only use.
  Result<NewAwsKey> CreateAwsKey(const std::string& name, const std::string& user,
                                 std::optional<std::chrono::seconds> lifetime);
  // The key's user and secret; Unauthenticated when unknown, revoked or expired.
  Result<AwsKey> LookupAwsKey(const std::string& access_key_id);

  const Clock& clock() const { return clock_; }

 private:
  AuthStore(db::Database& db, const Clock& clock, AuthOptions options)
      : db_(db), clock_(clock), options_(std::move(options)) {}
  Result<NewToken> InsertToken(db::Transaction& tx, const std::string& name,
                               const std::string& user, const std::string& token,
                               std::optional<std::chrono::seconds> lifetime);
  // The user of the token row `where` selects (a condition on the columns of auth_tokens t,
  // one parameter), with the extra column `extra` (empty = none) in `extra_value`; refuses
  // revoked and expired tokens and notes the use. `what` names the credential in errors.
  Result<User> LookupTokenWhere(const std::string& join, const std::string& where,
                                const db::Value& param, const std::string& extra,
                                std::string_view what, std::string* extra_value);

  db::Database& db_;
  const Clock& clock_;
  AuthOptions options_;
};

}  // namespace loupe::auth
