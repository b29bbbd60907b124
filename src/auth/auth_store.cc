#include "auth/auth_store.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "auth/password.h"
#include "core/sha256.h"

namespace loupe::auth {
namespace {

using nlohmann::json;

constexpr int64_t kTouchMillis =
    int64_t{60} * 1000;  // last-seen/last-used are refreshed at most this often

const std::vector<db::Migration>& Migrations() {
  static const std::vector<db::Migration> kMigrations = {{1, "users, sessions, API tokens", R"sql(
CREATE TABLE auth_users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  teams TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE auth_sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_name);
CREATE TABLE auth_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  user_name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX auth_tokens_by_user ON auth_tokens (user_name);
)sql"}};
  return kMigrations;
}

constexpr std::string_view kUserColumns = "name, role, teams, created_at, updated_at";

Result<User> UserFromRow(const db::Row& row, size_t first = 0) {
  User u;
  u.name = row.Text(first);
  ASSIGN_OR_RETURN(u.role, ParseRole(row.Text(first + 1)));
  json teams = json::parse(row.Text(first + 2), nullptr, false);
  if (teams.is_array()) {
    for (const json& t : teams) {
      if (t.is_string()) u.teams.push_back(t.get<std::string>());
    }
  }
  u.created_at = FromUnixMillis(row.Int(first + 3));
  u.updated_at = FromUnixMillis(row.Int(first + 4));
  return u;
}

std::optional<TimePoint> OptTime(const db::Row& row, size_t i) {
  auto v = row.OptInt(i);
  if (!v) return std::nullopt;
  return FromUnixMillis(*v);
}

db::Value OptMillis(std::optional<TimePoint> t) {
  if (!t) return nullptr;
  return ToUnixMillis(*t);
}

Status ValidateAccountRole(Role role) {
  if (role == Role::kPublic || role == Role::kAuthenticated) {
    return InvalidArgumentError("a user's role must be admin, operator, reviewer or consumer");
  }
  return Status::Ok();
}

Status ValidateTeams(const std::vector<std::string>& teams) {
  if (teams.size() > 100) return InvalidArgumentError("a user may belong to at most 100 teams");
  for (const std::string& t : teams) RETURN_IF_ERROR(ValidateName("team", t));
  return Status::Ok();
}

std::string TeamsJson(const std::vector<std::string>& teams) {
  std::vector<std::string> sorted = teams;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return json(sorted).dump();
}

// Ends every session and revokes every live token of `user`, inside `tx`.
Status EndCredentials(db::Transaction& tx, const std::string& user, int64_t now) {
  RETURN_IF_ERROR(tx.Exec("DELETE FROM auth_sessions WHERE user_name = ?", {user}).status());
  return tx
      .Exec("UPDATE auth_tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            {now, user})
      .status();
}

// FailedPrecondition when `user` is the last admin.
Status KeepAnAdmin(db::Transaction& tx, const std::string& user) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM auth_users WHERE role = 'admin' "
                                         "AND name <> ?",
                                         {user}));
  if (!row || row->Int(0) == 0) {
    return FailedPreconditionError("'" + user + "' is the last admin; make another admin first");
  }
  return Status::Ok();
}

Result<User> QueryUser(db::Transaction& tx, const std::string& name) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kUserColumns) +
                                             " FROM auth_users WHERE name = ?",
                                         {name}));
  if (!row) return NotFoundError("no user named '" + name + "'");
  return UserFromRow(*row);
}

}  // namespace

Status ValidateName(std::string_view what, std::string_view name) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(std::string(what) + " name '" + std::string(name) + "' " + why);
  };
  if (name.empty() || name.size() > 64) return bad("must be 1..64 characters");
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return bad("must start with a letter or digit");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '@' &&
        c != '-') {
      return bad("may contain only letters, digits and . _ @ -");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<AuthStore>> AuthStore::Open(db::Database& db, const Clock& clock,
                                                   AuthOptions options) {
  RETURN_IF_ERROR(db.Migrate("auth", Migrations()));
  return std::unique_ptr<AuthStore>(new AuthStore(db, clock, options));
}

Result<BootstrapResult> AuthStore::Bootstrap(const std::optional<std::string>& admin_password,
                                             const std::optional<std::string>& bootstrap_token) {
  BootstrapResult result;
  int64_t users = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM auth_users"));
    users = row ? row->Int(0) : 0;
    return Status::Ok();
  }));
  if (users > 0) return result;
  if (admin_password) {
    RETURN_IF_ERROR(ValidatePassword(*admin_password).WithContext("admin password"));
    result.admin_password = *admin_password;
  } else {
    result.admin_password = RandomHex(12);
    result.password_generated = true;
  }
  if (bootstrap_token && bootstrap_token->size() < 16) {
    return InvalidArgumentError("the bootstrap token must be at least 16 characters");
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(result.admin_password));
  int64_t now = ToUnixMillis(clock_.Now());
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM auth_users"));
    if (row && row->Int(0) > 0) return Status::Ok();  // another process bootstrapped first
    RETURN_IF_ERROR(tx.Exec("INSERT INTO auth_users (name, role, teams, password_hash, "
                            "created_at, updated_at) VALUES (?, 'admin', '[]', ?, ?, ?)",
                            {std::string(kAdminUser), hash, now, now})
                        .status());
    result.created = true;
    if (bootstrap_token) {
      RETURN_IF_ERROR(
          InsertToken(tx, "bootstrap", kAdminUser, *bootstrap_token, std::nullopt).status());
      result.token_created = true;
    }
    return Status::Ok();
  }));
  if (!result.created) return BootstrapResult{};
  return result;
}

Result<User> AuthStore::CreateUser(const std::string& name, Role role,
                                   const std::vector<std::string>& teams,
                                   const std::string& password) {
  RETURN_IF_ERROR(ValidateName("user", name));
  RETURN_IF_ERROR(ValidateAccountRole(role));
  RETURN_IF_ERROR(ValidateTeams(teams));
  RETURN_IF_ERROR(ValidatePassword(password));
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  int64_t now = ToUnixMillis(clock_.Now());
  User created;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT 1 FROM auth_users WHERE name = ?", {name}));
    if (existing) return AlreadyExistsError("a user named '" + name + "' exists");
    RETURN_IF_ERROR(tx.Exec("INSERT INTO auth_users (name, role, teams, password_hash, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                            {name, std::string(RoleName(role)), TeamsJson(teams), hash, now, now})
                        .status());
    ASSIGN_OR_RETURN(created, QueryUser(tx, name));
    return Status::Ok();
  }));
  return created;
}

Result<std::vector<User>> AuthStore::ListUsers() const {
  std::vector<User> users;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kUserColumns) +
                                         " FROM auth_users ORDER BY name"));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(User u, UserFromRow(row));
      users.push_back(std::move(u));
    }
    return Status::Ok();
  }));
  return users;
}

Result<User> AuthStore::GetUser(const std::string& name) const {
  User user;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(user, QueryUser(tx, name));
    return Status::Ok();
  }));
  return user;
}

Result<User> AuthStore::UpdateUser(const std::string& name, const UserChange& change) {
  if (change.role) {
    RETURN_IF_ERROR(ValidateAccountRole(*change.role));
  }
  if (change.teams) {
    RETURN_IF_ERROR(ValidateTeams(*change.teams));
  }
  std::optional<std::string> hash;
  if (change.password) {
    RETURN_IF_ERROR(ValidatePassword(*change.password));
    ASSIGN_OR_RETURN(hash, HashPassword(*change.password));
  }
  int64_t now = ToUnixMillis(clock_.Now());
  User updated;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(User current, QueryUser(tx, name));
    if (change.role && current.role == Role::kAdmin && *change.role != Role::kAdmin) {
      RETURN_IF_ERROR(KeepAnAdmin(tx, name));
    }
    if (change.role) {
      RETURN_IF_ERROR(tx.Exec("UPDATE auth_users SET role = ? WHERE name = ?",
                              {std::string(RoleName(*change.role)), name})
                          .status());
    }
    if (change.teams) {
      RETURN_IF_ERROR(tx.Exec("UPDATE auth_users SET teams = ? WHERE name = ?",
                              {TeamsJson(*change.teams), name})
                          .status());
    }
    if (hash) {
      RETURN_IF_ERROR(
          tx.Exec("UPDATE auth_users SET password_hash = ? WHERE name = ?", {*hash, name})
              .status());
      RETURN_IF_ERROR(EndCredentials(tx, name, now));
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE auth_users SET updated_at = ? WHERE name = ?", {now, name}).status());
    ASSIGN_OR_RETURN(updated, QueryUser(tx, name));
    return Status::Ok();
  }));
  return updated;
}

Status AuthStore::DeleteUser(const std::string& name) {
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(User current, QueryUser(tx, name));
    if (current.role == Role::kAdmin) {
      RETURN_IF_ERROR(KeepAnAdmin(tx, name));
    }
    RETURN_IF_ERROR(EndCredentials(tx, name, now));
    return tx.Exec("DELETE FROM auth_users WHERE name = ?", {name}).status();
  });
}

Result<User> AuthStore::CheckPassword(const std::string& name, const std::string& password) const {
  // Unknown users are verified against a fixed hash so both failures take about as long.
  static const std::string kDummyHash = HashPassword("loupe-no-such-user").value_or("");
  std::optional<User> user;
  std::string hash;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kUserColumns) +
                                               ", password_hash FROM auth_users WHERE name = ?",
                                           {name}));
    if (!row) return Status::Ok();
    ASSIGN_OR_RETURN(user, UserFromRow(*row));
    hash = row->Text(5);
    return Status::Ok();
  }));
  bool match = VerifyPassword(user ? hash : kDummyHash, password);
  if (!user || !match) return UnauthenticatedError("wrong user name or password");
  return *user;
}

Result<NewSession> AuthStore::CreateSession(const User& user) {
  NewSession session;
  session.token = RandomHex(32);
  session.csrf_token = RandomHex(32);
  session.user = user;
  int64_t now = ToUnixMillis(clock_.Now());
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    return tx
        .Exec(
            "INSERT INTO auth_sessions (id_hash, user_name, csrf_token, created_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?)",
            {Sha256Hex(session.token), user.name, session.csrf_token, now, now})
        .status();
  }));
  return session;
}

Result<SessionInfo> AuthStore::LookupSession(const std::string& token) {
  std::string id = Sha256Hex(token);
  int64_t now = ToUnixMillis(clock_.Now());
  std::optional<SessionInfo> info;
  bool expired = false;
  bool touch = false;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row,
                     tx.QueryOne("SELECT s.csrf_token, s.created_at, s.last_seen_at, u.name, "
                                 "u.role, u.teams, u.created_at, u.updated_at FROM auth_sessions "
                                 "s JOIN auth_users u ON u.name = s.user_name WHERE s.id_hash = ?",
                                 {id}));
    if (!row) return Status::Ok();
    int64_t created = row->Int(1);
    int64_t last_seen = row->Int(2);
    expired = now - created >= std::chrono::milliseconds(options_.session_absolute).count() ||
              now - last_seen >= std::chrono::milliseconds(options_.session_idle).count();
    touch = now - last_seen >= kTouchMillis;
    ASSIGN_OR_RETURN(User u, UserFromRow(*row, 3));
    info = SessionInfo{std::move(u), row->Text(0)};
    return Status::Ok();
  }));
  if (!info) return UnauthenticatedError("unknown or ended session; log in again");
  if (expired) {
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
      return tx.Exec("DELETE FROM auth_sessions WHERE id_hash = ?", {id}).status();
    }));
    return UnauthenticatedError("session expired; log in again");
  }
  if (touch) {
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
      return tx.Exec("UPDATE auth_sessions SET last_seen_at = ? WHERE id_hash = ?", {now, id})
          .status();
    }));
  }
  return *info;
}

Status AuthStore::EndSession(const std::string& token) {
  return db_.Write([&](db::Transaction& tx) {
    return tx.Exec("DELETE FROM auth_sessions WHERE id_hash = ?", {Sha256Hex(token)}).status();
  });
}

Result<NewToken> AuthStore::InsertToken(db::Transaction& tx, const std::string& name,
                                        const std::string& user, const std::string& token,
                                        std::optional<std::chrono::seconds> lifetime) {
  NewToken out{"tok_" + RandomHex(8), token};
  TimePoint now = clock_.Now();
  std::optional<TimePoint> expires;
  if (lifetime) expires = now + *lifetime;
  ASSIGN_OR_RETURN(
      auto dup, tx.QueryOne("SELECT 1 FROM auth_tokens WHERE token_hash = ?", {Sha256Hex(token)}));
  if (dup) return AlreadyExistsError("that token value is already in use");
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO auth_tokens (id, name, user_name, token_hash, "
              "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
              {out.id, name, user, Sha256Hex(token), ToUnixMillis(now), OptMillis(expires)})
          .status());
  return out;
}

Result<NewToken> AuthStore::CreateToken(const std::string& name, const std::string& user,
                                        std::optional<std::chrono::seconds> lifetime) {
  if (name.empty() || name.size() > 100) {
    return InvalidArgumentError("a token's name must be 1..100 characters");
  }
  if (lifetime && lifetime->count() <= 0) {
    return InvalidArgumentError("a token's lifetime must be positive");
  }
  NewToken created;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    RETURN_IF_ERROR(QueryUser(tx, user).status());
    ASSIGN_OR_RETURN(created, InsertToken(tx, name, user, RandomHex(32), lifetime));
    return Status::Ok();
  }));
  return created;
}

Result<std::vector<TokenInfo>> AuthStore::ListTokens() const {
  std::vector<TokenInfo> tokens;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, name, user_name, created_at, expires_at, "
                                         "revoked_at, last_used_at FROM auth_tokens ORDER BY "
                                         "created_at, id"));
    for (const db::Row& row : rows) {
      tokens.push_back({row.Text(0), row.Text(1), row.Text(2), FromUnixMillis(row.Int(3)),
                        OptTime(row, 4), OptTime(row, 5), OptTime(row, 6)});
    }
    return Status::Ok();
  }));
  return tokens;
}

Status AuthStore::RevokeToken(const std::string& id) {
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT 1 FROM auth_tokens WHERE id = ?", {id}));
    if (!row) return NotFoundError("no token with id '" + id + "'");
    return tx
        .Exec("UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
              {now, id})
        .status();
  });
}

Result<User> AuthStore::LookupToken(const std::string& token) {
  std::string hash = Sha256Hex(token);
  int64_t now = ToUnixMillis(clock_.Now());
  std::optional<User> user;
  std::string id;
  bool touch = false;
  Status refused = Status::Ok();
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row,
                     tx.QueryOne("SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, "
                                 "u.name, u.role, u.teams, u.created_at, u.updated_at FROM "
                                 "auth_tokens t JOIN auth_users u ON u.name = t.user_name WHERE "
                                 "t.token_hash = ?",
                                 {hash}));
    if (!row) return Status::Ok();
    id = row->Text(0);
    if (!row->IsNull(2)) {
      refused = UnauthenticatedError("API token revoked");
    } else if (auto expires = row->OptInt(1); expires && *expires <= now) {
      refused = UnauthenticatedError("API token expired");
    }
    auto last_used = row->OptInt(3);
    touch = !last_used || now - *last_used >= kTouchMillis;
    ASSIGN_OR_RETURN(user, UserFromRow(*row, 4));
    return Status::Ok();
  }));
  if (!user) return UnauthenticatedError("unknown API token");
  if (!refused.ok()) return refused;
  if (touch) {
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
      return tx.Exec("UPDATE auth_tokens SET last_used_at = ? WHERE id = ?", {now, id}).status();
    }));
  }
  return *user;
}

}  // namespace loupe::auth
