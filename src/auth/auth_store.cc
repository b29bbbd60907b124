// AuthStore's construction and the name rules. Its jobs live beside it: users.cc,
// sessions.cc, tokens.cc and bootstrap.cc; the schema and row readers in auth_tables.cc.

#include "auth/auth_store.h"

#include <cctype>
#include <string>
#include <utility>

#include "auth/auth_tables.h"

namespace loupe::auth {

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
  RETURN_IF_ERROR(db.Migrate("auth", AuthMigrations()));
  return std::unique_ptr<AuthStore>(new AuthStore(db, clock, std::move(options)));
}

}  // namespace loupe::auth
