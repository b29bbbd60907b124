#include "db/postgres_database.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "db/postgres_sql.h"

namespace loupe::db {
namespace {

using Clock = std::chrono::steady_clock;

// Type OIDs of the results we convert (pg_type.dat).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// The advisory lock that serialises schema changes across processes ("loupe" in ASCII).
constexpr int64_t kMigrationLock = 0x6c6f757065;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Maps a failed command to loupe's codes, as sqlite_database.cc does for SQLite's: conflicts
// are Aborted (retried by Write), constraint violations AlreadyExists, a lost or overloaded
// server Unavailable, corruption DataLoss, everything else (bad SQL) Internal.
Status PgError(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += Trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (PQstatus(conn) != CONNECTION_OK) return UnavailableError(msg);
  const char* field = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view state = field != nullptr ? field : "";
  if (state == "40001" || state == "40P01") return AbortedError(msg);
  if (state.starts_with("23")) return AlreadyExistsError(msg);
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P")) {
    return UnavailableError(msg);
  }
  if (state == "XX001" || state == "XX002") return DataLossError(msg);
  if (state.empty() && res == nullptr) return UnavailableError(msg);
  return InternalError(msg);
}

Value ToValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col) != 0) return nullptr;
  const char* text = PQgetvalue(res, row, col);
  int len = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kBoolOid:
      return int64_t{text[0] == 't' ? 1 : 0};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return static_cast<int64_t>(std::strtoll(text, nullptr, 10));
    case kFloat4Oid:
    case kFloat8Oid:
      return std::strtod(text, nullptr);
    case kNumericOid: {
      std::string_view s(text, len);
      if (s.find_first_of(".eEN") == std::string_view::npos) {
        return static_cast<int64_t>(std::strtoll(text, nullptr, 10));
      }
      return std::strtod(text, nullptr);
    }
    case kByteaOid: {
      size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      Blob blob{std::string(reinterpret_cast<const char*>(raw), n)};
      PQfreemem(raw);
      return blob;
    }
    default:
      return std::string(text, len);
  }
}

void LogNotice(void* /*arg*/, const char* message) {
  spdlog::debug("db: postgres: {}", Trimmed(message));
}

// One libpq connection. Not thread-safe: owned by the pool and used by one thread at a time.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& url) {
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {url.c_str(), "loupe", nullptr};
    auto conn = std::unique_ptr<Connection>(
        new Connection(PQconnectdbParams(keys, values, /*expand_dbname=*/1)));
    if (conn->conn_ == nullptr) return ResourceExhaustedError("postgres: out of memory");
    if (PQstatus(conn->conn_) != CONNECTION_OK) {
      return UnavailableError("connecting to postgres: " + Trimmed(PQerrorMessage(conn->conn_)));
    }
    PQsetNoticeProcessor(conn->conn_, LogNotice, nullptr);
    return conn;
  }

  ~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Reconnects, backing off, until the server answers or `deadline` passes.
  Status Reconnect(Clock::time_point deadline) {
    auto backoff = std::chrono::milliseconds(50);
    while (true) {
      PQreset(conn_);
      if (healthy()) {
        spdlog::info("db: reconnected to postgres");
        return Status::Ok();
      }
      if (Clock::now() + backoff > deadline) {
        return UnavailableError("postgres unreachable: " + Trimmed(PQerrorMessage(conn_)));
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }

  // Runs a script without parameters (several statements allowed).
  Status Script(std::string_view sql) {
    PgResultPtr res(PQexec(conn_, std::string(sql).c_str()));
    ExecStatusType st = res != nullptr ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
    return PgError(conn_, res.get(), std::string(sql.substr(0, 200)));
  }

  // Runs one statement, collecting rows into `rows` if non-null.
  Result<int64_t> Run(std::string_view sql, const Params& params, Rows* rows) {
    PostgresStatement stmt = ToPostgresStatement(sql);
    if (stmt.placeholders != static_cast<int>(params.size())) {
      return InternalError("statement expects " + std::to_string(stmt.placeholders) +
                           " parameters, got " + std::to_string(params.size()) + ": " +
                           std::string(sql));
    }
    size_t n = params.size();
    std::vector<Oid> types(n, 0);
    std::vector<std::string> texts(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) continue;
      if (const auto* k = std::get_if<int64_t>(&v)) {
        types[i] = kInt8Oid;
        texts[i] = std::to_string(*k);
      } else if (const auto* d = std::get_if<double>(&v)) {
        types[i] = kFloat8Oid;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        texts[i] = buf;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        texts[i] = *s;  // type left to the server (text, or what the context needs)
      } else {
        types[i] = kByteaOid;
        formats[i] = 1;
        const std::string& bytes = std::get<Blob>(v).bytes;
        values[i] = bytes.data();
        lengths[i] = static_cast<int>(bytes.size());
        continue;
      }
      values[i] = texts[i].c_str();
      lengths[i] = static_cast<int>(texts[i].size());
    }
    PgResultPtr res(PQexecParams(conn_, stmt.sql.c_str(), static_cast<int>(n), types.data(),
                                 values.data(), lengths.data(), formats.data(),
                                 /*resultFormat=*/0));
    ExecStatusType st = res != nullptr ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return PgError(conn_, res.get(), "running " + std::string(sql));
    }
    if (rows != nullptr && st == PGRES_TUPLES_OK) {
      int nrows = PQntuples(res.get());
      int ncols = PQnfields(res.get());
      rows->reserve(rows->size() + nrows);
      for (int r = 0; r < nrows; ++r) {
        std::vector<Value> row;
        row.reserve(ncols);
        for (int c = 0; c < ncols; ++c) row.push_back(ToValue(res.get(), r, c));
        rows->emplace_back(std::move(row));
      }
    }
    const char* changed = PQcmdTuples(res.get());
    return static_cast<int64_t>(changed[0] != '\0' ? std::strtoll(changed, nullptr, 10) : 0);
  }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

class PgTransaction final : public Transaction {
 public:
  explicit PgTransaction(Connection& conn) : conn_(conn) {}
  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    if (!failure_.ok()) return failure_;
    auto r = conn_.Run(sql, params, nullptr);
    if (!r.ok()) failure_ = r.status();
    return r;
  }
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    if (!failure_.ok()) return failure_;
    Rows rows;
    auto r = conn_.Run(sql, params, &rows);
    if (!r.ok()) {
      failure_ = r.status();
      return failure_;
    }
    return rows;
  }
  void OnCommit(std::function<void()> fn) override { on_commit_.push_back(std::move(fn)); }
  Status SerializeAppends(std::string_view name) override {
    // A transaction-scoped advisory lock keyed by the log's name (FNV-1a: the same in every
    // process and build), held until commit or rollback.
    uint64_t hash = 14695981039346656037ull;
    for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return Query("SELECT pg_advisory_xact_lock(?)", {static_cast<int64_t>(hash)}).status();
  }

  const Status& failure() const { return failure_; }
  std::vector<std::function<void()>> TakeOnCommit() { return std::move(on_commit_); }

 private:
  Connection& conn_;
  Status failure_;  // the first failed statement: the transaction is aborted from then on
  std::vector<std::function<void()>> on_commit_;
};

struct Outcome {
  Status status;
  bool retry = false;  // nothing was committed and running again may succeed
  bool ran = false;    // the callback was called
};

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kAborted || s.code() == StatusCode::kUnavailable;
}

Outcome RunTx(Connection& conn, const char* begin, const Database::TxFn& fn,
              std::vector<std::function<void()>>* hooks) {
  Status s = conn.Script(begin);
  if (!s.ok()) return {Status(s.code(), "BEGIN: " + s.message()), Retryable(s), false};
  PgTransaction tx(conn);
  Status result = fn(tx);
  // A conflict or lost connection inside the callback decides, whatever the callback made of
  // it: run again. A failure of the callback's own (a listener that is down) is its answer.
  bool conflict = !tx.failure().ok() && Retryable(tx.failure());
  // A failed statement aborted the transaction (PostgreSQL would answer COMMIT with ROLLBACK):
  // whatever the callback returned, nothing is committed and the statement's failure is the
  // answer.
  if (!tx.failure().ok() && result.ok()) result = tx.failure();
  if (conflict) result = tx.failure();
  if (result.ok()) {
    Status c = conn.Script("COMMIT");
    if (c.ok()) {
      *hooks = tx.TakeOnCommit();
      return {c, false, true};
    }
    // A failed COMMIT rolls back, except when the connection died: then the outcome is unknown.
    return {c.WithContext("commit"), c.code() == StatusCode::kAborted, true};
  }
  if (conn.healthy()) {
    Status rb = conn.Script("ROLLBACK");
    if (!rb.ok()) spdlog::error("db: rollback failed: {}", rb.ToString());
  }
  return {result, conflict, true};
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, PostgresOptions options, std::unique_ptr<Connection> writer)
      : url_(std::move(url)), options_(options), writer_(std::move(writer)) {}

  Status Write(const TxFn& fn) override {
    std::vector<std::function<void()>> hooks;
    Status last;
    {
      std::lock_guard lock(write_mu_);
      last = Attempts(*writer_, "BEGIN ISOLATION LEVEL SERIALIZABLE", fn, &hooks,
                      /*rerun=*/true);
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
      ASSIGN_OR_RETURN(conn, Connection::Open(url_));
    }
    std::vector<std::function<void()>> hooks;
    // A read is not run again once its callback ran (readers collect into their outputs);
    // only a connection found dead at BEGIN is replaced first.
    Status s = Attempts(*conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn, &hooks,
                        /*rerun=*/false);
    {
      std::lock_guard lock(read_mu_);
      if (conn->healthy() && static_cast<int>(readers_.size()) < options_.max_readers) {
        readers_.push_back(std::move(conn));
      }
    }
    for (auto& hook : hooks) hook();
    return s;
  }

  Status Migrate(std::string_view module, const std::vector<Migration>& migrations) override {
    std::vector<std::function<void()>> hooks;
    std::lock_guard lock(write_mu_);
    // READ COMMITTED: after waiting for the lock, the version read sees the holder's commit.
    return Attempts(
        *writer_, "BEGIN",
        [&](Transaction& tx) -> Status {
          RETURN_IF_ERROR(tx.Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}).status());
          return ApplyMigrations(tx, module, migrations, [this](std::string_view sql) {
            return writer_->Script(ToPostgresSchema(sql));
          });
        },
        &hooks, /*rerun=*/true);
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
    std::vector<std::function<void()>> hooks;
    std::lock_guard lock(write_mu_);
    return Attempts(
        *writer_, "BEGIN",
        [&](Transaction& tx) -> Status {
          RETURN_IF_ERROR(tx.Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}).status());
          return tx
              .Exec(ToPostgresSchema("CREATE TABLE IF NOT EXISTS schema_versions ("
                                     " module TEXT PRIMARY KEY, version INTEGER NOT NULL,"
                                     " description TEXT NOT NULL, applied_ms INTEGER NOT NULL)"))
              .status();
        },
        &hooks, /*rerun=*/true);
  }

 private:
  // Runs `fn` in a transaction on `conn`, reconnecting and retrying while nothing was committed
  // and another attempt may succeed — after `fn` ran only if `rerun` (writes, whose callbacks
  // set their outputs rather than accumulate).
  Status Attempts(Connection& conn, const char* begin, const TxFn& fn,
                  std::vector<std::function<void()>>* hooks, bool rerun) const {
    auto deadline = Clock::now() + std::chrono::milliseconds(options_.reconnect_timeout_ms);
    thread_local std::minstd_rand jitter(std::random_device{}());
    Outcome outcome;
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      if (!conn.healthy()) RETURN_IF_ERROR(conn.Reconnect(deadline));
      outcome = RunTx(conn, begin, fn, hooks);
      if (!outcome.retry || (outcome.ran && !rerun)) return outcome.status;
      if (!conn.healthy()) continue;  // Reconnect backs off itself
      // A conflict with another process: back off a little, with jitter, and run again.
      int cap_ms = 1 << std::min(attempt, 6);
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, cap_ms * 1000)(jitter)));
    }
    return outcome.status;
  }

  const std::string url_;
  const PostgresOptions options_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  mutable std::mutex read_mu_;
  mutable std::vector<std::unique_ptr<Connection>> readers_;  // guarded by read_mu_
};

}  // namespace

bool IsPostgresUrl(std::string_view spec) {
  return spec.starts_with("postgres://") || spec.starts_with("postgresql://");
}

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, PostgresOptions options) {
  if (!IsPostgresUrl(url)) {
    return InvalidArgumentError("not a PostgreSQL URL (postgres://user:pass@host:port/db): " + url);
  }
  ASSIGN_OR_RETURN(auto writer, Connection::Open(url));
  auto db = std::make_unique<PostgresDatabase>(url, options, std::move(writer));
  RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace loupe::db
