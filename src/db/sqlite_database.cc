#include "db/sqlite_database.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <mutex>
#include <string>
#include <vector>

namespace loupe::db {
namespace {

Status SqliteError(sqlite3* conn, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += conn != nullptr ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return AbortedError(msg);
  if (primary == SQLITE_CONSTRAINT) return AlreadyExistsError(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return DataLossError(msg);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) return UnavailableError(msg);
  return InternalError(msg);
}

// One SQLite connection. Not thread-safe: owned by the pool and used by one thread at a time.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool readonly,
                                                  int busy_timeout_ms) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(raw));
    if (rc != SQLITE_OK) return SqliteError(raw, rc, "opening " + path);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    sqlite3_extended_result_codes(raw, 1);
    const char* pragmas = readonly ? "PRAGMA foreign_keys=ON;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                     "PRAGMA foreign_keys=ON;";
    RETURN_IF_ERROR(conn->ExecScript(pragmas));
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status ExecScript(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "";
      sqlite3_free(err);
      return SqliteError(db_, rc, std::string("executing script: ") + msg);
    }
    return Status::Ok();
  }

  // Runs one statement, collecting rows into `rows` if non-null.
  Result<int64_t> Run(std::string_view sql, const Params& params, Rows* rows) {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return InternalError("statement expects " + std::to_string(expected) + " parameters, got " +
                           std::to_string(params.size()) + ": " + std::string(sql));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const auto& b = std::get<Blob>(v).bytes;
        rc = sqlite3_bind_blob64(stmt, idx, b.data(), b.size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "binding parameter");
    }
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        Status s = SqliteError(db_, rc, "running " + std::string(sql));
        sqlite3_reset(stmt);
        return s;
      }
      if (rows == nullptr) continue;
      int n = sqlite3_column_count(stmt);
      std::vector<Value> values;
      values.reserve(n);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            values.emplace_back(nullptr);
            break;
          case SQLITE_INTEGER:
            values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            values.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_BLOB: {
            const void* p = sqlite3_column_blob(stmt, c);
            int len = sqlite3_column_bytes(stmt, c);
            values.emplace_back(Blob{std::string(static_cast<const char*>(p), len)});
            break;
          }
          default: {
            const unsigned char* p = sqlite3_column_text(stmt, c);
            int len = sqlite3_column_bytes(stmt, c);
            values.emplace_back(std::string(reinterpret_cast<const char*>(p), len));
          }
        }
      }
      rows->emplace_back(std::move(values));
    }
    int64_t changes = sqlite3_changes64(db_);
    sqlite3_reset(stmt);
    return changes;
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    for (auto& [text, stmt] : cache_) {
      if (text == sql) return stmt;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing " + std::string(sql));
    if (cache_.size() >= 256) {
      sqlite3_finalize(cache_.front().second);
      cache_.erase(cache_.begin());
    }
    cache_.emplace_back(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* db_;
  std::vector<std::pair<std::string, sqlite3_stmt*>> cache_;
};

class SqliteTransaction final : public Transaction {
 public:
  explicit SqliteTransaction(Connection& conn) : conn_(conn) {}
  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    return conn_.Run(sql, params, nullptr);
  }
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    ASSIGN_OR_RETURN(int64_t changed, conn_.Run(sql, params, &rows));
    (void)changed;
    return rows;
  }
  void OnCommit(std::function<void()> fn) override { on_commit_.push_back(std::move(fn)); }
  Status SerializeAppends(std::string_view /*name*/) override { return Status::Ok(); }

  std::vector<std::function<void()>> TakeOnCommit() { return std::move(on_commit_); }

 private:
  Connection& conn_;
  std::vector<std::function<void()>> on_commit_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, SqliteOptions options, std::unique_ptr<Connection> writer)
      : path_(std::move(path)), options_(options), writer_(std::move(writer)) {}

  Status Write(const TxFn& fn) override {
    std::vector<std::function<void()>> hooks;
    Status last;
    {
      std::lock_guard lock(write_mu_);
      for (int attempt = 0; attempt < 5; ++attempt) {
        last = RunTx(*writer_, "BEGIN IMMEDIATE", fn, &hooks);
        if (last.code() != StatusCode::kAborted || !last.message().starts_with("BEGIN")) break;
      }
    }
    for (auto& hook : hooks) hook();
    return last;
  }

  Status Read(const TxFn& fn) const override {
    std::unique_ptr<Connection> conn;
    {
      std::lock_guard lock(read_mu_);
      if (!readers_.empty()) {
        conn = std::move(readers_.back());
        readers_.pop_back();
      }
    }
    if (conn == nullptr) {
      ASSIGN_OR_RETURN(conn, Connection::Open(path_, /*readonly=*/true, options_.busy_timeout_ms));
    }
    std::vector<std::function<void()>> hooks;
    Status s = RunTx(*conn, "BEGIN DEFERRED", fn, &hooks);
    {
      std::lock_guard lock(read_mu_);
      if (static_cast<int>(readers_.size()) < options_.max_readers) {
        readers_.push_back(std::move(conn));
      }
    }
    for (auto& hook : hooks) hook();
    return s;
  }

  Status Migrate(std::string_view module, const std::vector<Migration>& migrations) override {
    return Write([&](Transaction& tx) -> Status {
      return ApplyMigrations(tx, module, migrations,
                             [this](std::string_view sql) { return ExecScriptIn(sql); });
    });
  }

  Result<int> SchemaVersion(std::string_view module) const override {
    int version = 0;
    RETURN_IF_ERROR(Read([&](Transaction& tx) -> Status {
      ASSIGN_OR_RETURN(version, SchemaVersionIn(tx, module));
      return Status::Ok();
    }));
    return version;
  }

  Status Init() {
    return writer_->ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        " module TEXT PRIMARY KEY, version INTEGER NOT NULL, description TEXT NOT NULL,"
        " applied_ms INTEGER NOT NULL)");
  }

 private:
  // REQUIRES: write_mu_ held (only called from Migrate's transaction).
  Status ExecScriptIn(std::string_view sql) {
    return writer_->ExecScript(std::string(sql).c_str());
  }

  static Status RunTx(Connection& conn, const char* begin, const TxFn& fn,
                      std::vector<std::function<void()>>* hooks) {
    Status s = conn.ExecScript(begin);
    if (!s.ok()) return Status(s.code(), std::string("BEGIN: ") + s.message());
    SqliteTransaction tx(conn);
    Status result = fn(tx);
    if (result.ok()) {
      Status c = conn.ExecScript("COMMIT");
      if (c.ok()) {
        *hooks = tx.TakeOnCommit();
        return c;
      }
      result = c.WithContext("commit");
    }
    Status rb = conn.ExecScript("ROLLBACK");
    if (!rb.ok()) spdlog::error("db: rollback failed: {}", rb.ToString());
    return result;
  }

  const std::string path_;
  const SqliteOptions options_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  mutable std::mutex read_mu_;
  mutable std::vector<std::unique_ptr<Connection>> readers_;  // guarded by read_mu_
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, SqliteOptions options) {
  if (path.empty() || path == ":memory:") {
    return InvalidArgumentError("SQLite database needs a file path");
  }
  ASSIGN_OR_RETURN(auto writer,
                   Connection::Open(path, /*readonly=*/false, options.busy_timeout_ms));
  auto db = std::make_unique<SqliteDatabase>(path, options, std::move(writer));
  RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace loupe::db
