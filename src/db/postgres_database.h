#pragma once
// PostgreSQL implementation of Database (libpq), for running several loupe processes on one
// database. Callers write the same SQL as for SQLite (`?` placeholders, SQLite's type names in
// migrations); this engine rewrites it (see postgres_sql.h). Semantics match the SQLite engine
// where callers can see them:
//   - Write runs SERIALIZABLE; within one process writes are serialised by a mutex (as SQLite's
//     are), so only other processes can conflict. A serialisation failure or deadlock (SQLSTATE
//     40001/40P01) rolls back and runs `fn` again, so `fn` must only set its outputs, never
//     accumulate into state outside the transaction. A lost connection before COMMIT is retried
//     the same way after reconnecting; one lost during COMMIT returns Unavailable (unknown
//     outcome).
//   - Read runs REPEATABLE READ READ ONLY on a pooled connection (a consistent snapshot); it is
//     not run again once its callback ran (a lost connection then returns Unavailable).
//   - Migrate holds a cluster-wide advisory lock, so processes starting together apply each
//     migration once; DDL is transactional on PostgreSQL, so a failed migration leaves nothing.
//   - Text columns are created COLLATE "C", so ORDER BY on text matches SQLite's byte order.
//   - A failed statement poisons the transaction (PostgreSQL's rule); later statements in the
//     same callback return the first failure, and Write returns it with nothing committed even
//     if the callback ignored it and returned ok (SQLite would commit the rest).
// Thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "db/database.h"

namespace loupe::db {

struct PostgresOptions {
  int max_readers = 8;
  // How long a transaction waits for a lost server to come back before giving up (Unavailable):
  // long enough for a restart, short enough that a request (or /healthz) answers 503 soon.
  int reconnect_timeout_ms = 10000;
  // Attempts of one Write on serialisation failures before returning Aborted.
  int max_attempts = 10;
};

// Whether `spec` names a PostgreSQL database ("postgres://" or "postgresql://").
bool IsPostgresUrl(std::string_view spec);

// Connects to the database at `url` (a libpq URI: postgres://user:pass@host:port/db?opts).
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url,
                                               PostgresOptions options = {});

}  // namespace loupe::db
