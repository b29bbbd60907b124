// AuthStore::Bootstrap: the first start's admin account (and, if asked, its API token);
// later starts, or a process that lost the race to another, change nothing.

#include "auth/auth_store.h"
#include "auth/auth_tables.h"
#include "auth/password.h"

namespace loupe::auth {

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
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                            {std::string(kAdminUser), std::string(RoleName(Role::kAdmin)),
                             TeamsJson({}), hash, now, now})
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

}  // namespace loupe::auth
