#pragma once
// SQLite implementation of Database: WAL mode, synchronous=FULL (a committed transaction
// survives power loss), foreign keys on. One write connection (writes are serialised by a
// mutex and BEGIN IMMEDIATE) and a pool of read connections. Thread-safe.

#include <memory>
#include <string>

#include "db/database.h"

namespace loupe::db {

struct SqliteOptions {
  // Milliseconds a connection waits on another process's lock before giving up.
  int busy_timeout_ms = 10000;
  int max_readers = 8;
};

// Opens (creating if needed) the database file at `path`. ":memory:" is not supported (readers
// need a shared file); tests use a temp directory.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, SqliteOptions options = {});

}  // namespace loupe::db
