#include "auth/auth_tables.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace loupe::auth {

using nlohmann::json;

const std::vector<db::Migration>& AuthMigrations() {
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
)sql"},
                                                         {2, "AWS access keys", R"sql(
CREATE TABLE auth_aws_keys (
  access_key_id TEXT PRIMARY KEY,
  token_id TEXT NOT NULL UNIQUE,
  sealed_secret TEXT NOT NULL
);
)sql"}};
  return kMigrations;
}

Result<User> UserFromRow(const db::Row& row, size_t first) {
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

Result<User> QueryUser(db::Transaction& tx, const std::string& name) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kUserColumns) +
                                             " FROM auth_users WHERE name = ?",
                                         {name}));
  if (!row) return NotFoundError("no user named '" + name + "'");
  return UserFromRow(*row);
}

std::string TeamsJson(const std::vector<std::string>& teams) {
  std::vector<std::string> sorted = teams;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return json(sorted).dump();
}

Status EndCredentials(db::Transaction& tx, const std::string& user, int64_t now) {
  RETURN_IF_ERROR(tx.Exec("DELETE FROM auth_sessions WHERE user_name = ?", {user}).status());
  return tx
      .Exec("UPDATE auth_tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            {now, user})
      .status();
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

}  // namespace loupe::auth
