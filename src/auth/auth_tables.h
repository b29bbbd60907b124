#pragma once
// The auth module's tables (internal to loupe_auth): the schema migrations of auth_users,
// auth_sessions and auth_tokens, and the column lists, row readers and shared statements the
// users, sessions, tokens and bootstrap code use. Stateless; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_store.h"
#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"

namespace loupe::auth {

// Sessions' last-seen and tokens' last-used times are refreshed at most this often.
inline constexpr int64_t kTouchMillis = int64_t{60} * 1000;

// The schema of the "auth" migrations.
const std::vector<db::Migration>& AuthMigrations();

// The columns UserFromRow reads (5, from auth_users).
inline constexpr std::string_view kUserColumns = "name, role, teams, created_at, updated_at";

// A user from the kUserColumns starting at column `first`.
Result<User> UserFromRow(const db::Row& row, size_t first = 0);
// The user named `name`; NotFound if there is none.
Result<User> QueryUser(db::Transaction& tx, const std::string& name);
// `teams` as stored: a JSON array, sorted, without duplicates.
std::string TeamsJson(const std::vector<std::string>& teams);
// Ends every session and revokes every live token of `user`, inside `tx`.
Status EndCredentials(db::Transaction& tx, const std::string& user, int64_t now);

// A nullable millisecond column as a time, and back.
std::optional<TimePoint> OptTime(const db::Row& row, size_t i);
db::Value OptMillis(std::optional<TimePoint> t);

}  // namespace loupe::auth
