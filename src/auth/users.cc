// AuthStore's users: accounts with a role and teams, argon2id passwords; a change never
// leaves the store without an admin, and a new password or a deletion ends the user's
// credentials.

#include <string>
#include <vector>

#include "auth/auth_store.h"
#include "auth/auth_tables.h"
#include "auth/password.h"

namespace loupe::auth {
namespace {

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

// FailedPrecondition when `user` is the last admin.
Status KeepAnAdmin(db::Transaction& tx, const std::string& user) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM auth_users WHERE role = ? "
                                         "AND name <> ?",
                                         {std::string(RoleName(Role::kAdmin)), user}));
  if (!row || row->Int(0) == 0) {
    return FailedPreconditionError("'" + user + "' is the last admin; make another admin first");
  }
  return Status::Ok();
}

}  // namespace

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

}  // namespace loupe::auth
