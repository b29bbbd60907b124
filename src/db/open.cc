#include "db/open.h"

#include "db/postgres_database.h"
#include "db/sqlite_database.h"

namespace loupe::db {

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& spec) {
  if (IsPostgresUrl(spec)) return OpenPostgres(spec);
  return OpenSqlite(spec);
}

std::string RedactedSpec(const std::string& spec) {
  if (!IsPostgresUrl(spec)) return spec;
  size_t scheme = spec.find("://") + 3;
  size_t at = spec.find('@', scheme);
  size_t colon = spec.find(':', scheme);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return spec;
  return spec.substr(0, colon + 1) + "***" + spec.substr(at);
}

}  // namespace loupe::db
