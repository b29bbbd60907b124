#pragma once
// The rewrite from loupe's portable SQL (what SQLite accepts) to PostgreSQL's dialect. Pure
// functions, tested on their own.

#include <string>
#include <string_view>

namespace loupe::db {

struct PostgresStatement {
  std::string sql;  // `?` placeholders numbered $1, $2, ...
  int placeholders = 0;
};

// Numbers the `?` placeholders of one statement, leaving string literals, quoted identifiers
// and comments alone.
PostgresStatement ToPostgresStatement(std::string_view sql);

// Rewrites a migration script's SQLite type names: INTEGER PRIMARY KEY [AUTOINCREMENT] ->
// BIGSERIAL PRIMARY KEY, INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, BLOB -> BYTEA,
// TEXT -> TEXT COLLATE "C". Words inside literals, quoted identifiers and comments are kept.
std::string ToPostgresSchema(std::string_view script);

}  // namespace loupe::db
