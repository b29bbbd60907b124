#pragma once
// OpenDatabase: the one place a database spec becomes an engine. "postgres://..." or
// "postgresql://..." opens PostgreSQL (postgres_database.h); anything else is the path of a
// SQLite file (sqlite_database.h), the embedded default.

#include <memory>
#include <string>

#include "db/database.h"

namespace loupe::db {

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& spec);

// The spec with any password replaced by "***", for logs and errors.
std::string RedactedSpec(const std::string& spec);

}  // namespace loupe::db
