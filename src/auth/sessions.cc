// AuthStore's browser sessions: a random cookie value (stored only as its SHA-256) and a
// CSRF token; sessions expire after an idle time and an absolute lifetime.

#include <chrono>
#include <string>

#include "auth/auth_store.h"
#include "auth/auth_tables.h"
#include "auth/password.h"
#include "core/sha256.h"

namespace loupe::auth {

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

}  // namespace loupe::auth
