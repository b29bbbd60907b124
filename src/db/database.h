#pragma once
// Database: the relational store behind every durable module (SQLite now, PostgreSQL later).
// Callers see only this interface: SQL with `?` placeholders in the common subset of SQLite
// and PostgreSQL, run inside a transaction callback that commits when it returns ok and rolls
// back otherwise. Thread-safe: any thread may run transactions; write transactions are
// serialised, read transactions run concurrently with them (SQLite WAL).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace loupe::db {

// Binary data (stored as BLOB / bytea).
struct Blob {
  std::string bytes;
};

using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

// One result row; columns by position, in SELECT order.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const;
  // REQUIRES: column i holds that type (integers read as doubles are converted).
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  const std::string& Text(size_t i) const;
  const std::string& Bytes(size_t i) const;
  std::optional<int64_t> OptInt(size_t i) const;
  std::optional<std::string> OptText(size_t i) const;
  const Value& at(size_t i) const;

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;
using Params = std::vector<Value>;

// A transaction in progress. Valid only inside the callback it was passed to.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Runs a statement that returns no rows. Returns the number of rows changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs a query and returns all its rows.
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Runs a query expected to return at most one row.
  Result<std::optional<Row>> QueryOne(std::string_view sql, const Params& params = {});
  // Registers `fn` to run after this transaction commits (never if it rolls back), on the
  // committing thread, outside the database's locks. For waking waiters and refreshing caches.
  virtual void OnCommit(std::function<void()> fn) = 0;
  // Orders this transaction's appends to the log `name` with every other writer's, across
  // processes, until it ends: call before inserting into a table whose readers page by an
  // increasing id, so ids commit in the order they were assigned and a reader that saw id N
  // never later finds a smaller one (PostgreSQL's sequences assign ids at insert, not commit).
  // A no-op on SQLite, whose writers are serialised anyway.
  virtual Status SerializeAppends(std::string_view name) = 0;
};

// A numbered schema change of one module. Versions start at 1 and increase by 1.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// For the engines' Migrate and SchemaVersion (the same in every engine): inside the engine's
// migration transaction, applies `module`'s migrations above its version in schema_versions,
// each script through `run_script`, recording each version as it goes; FailedPrecondition if
// the database is newer than `migrations`, Internal if they are not contiguous.
Status ApplyMigrations(Transaction& tx, std::string_view module,
                       const std::vector<Migration>& migrations,
                       const std::function<Status(std::string_view sql)>& run_script);
// The module's recorded schema version (0 if none).
Result<int> SchemaVersionIn(Transaction& tx, std::string_view module);

class Database {
 public:
  virtual ~Database() = default;

  using TxFn = std::function<Status(Transaction&)>;
  // Runs `fn` in a write transaction: committed (durably) if `fn` returns ok, rolled back
  // otherwise, in which case fn's Status is returned. A transient conflict is retried by
  // running `fn` again (PostgreSQL, with other processes), so `fn` must set its outputs, not
  // accumulate into them.
  virtual Status Write(const TxFn& fn) = 0;
  // Runs `fn` in a read-only snapshot transaction.
  virtual Status Read(const TxFn& fn) const = 0;

  // Applies `module`'s migrations above its recorded schema version, each in one transaction.
  // Fails with FailedPrecondition if the database is newer than this binary knows.
  virtual Status Migrate(std::string_view module, const std::vector<Migration>& migrations) = 0;
  // The module's current schema version (0 if none applied).
  virtual Result<int> SchemaVersion(std::string_view module) const = 0;
};

}  // namespace loupe::db
