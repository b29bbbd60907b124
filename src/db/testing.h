#pragma once
// Test helpers for every module's database tests (header-only; for *_test.cc files only): the
// engines a test is parameterised over, a PostgreSQL server started for the test process (the
// Debian server binaries, as an unprivileged user, in a temp directory, on a free loopback
// port, stopped by PID at exit), and OpenTestDatabase, which gives each test a fresh, empty
// database of the run's engine (a new schema on the shared server for PostgreSQL).
//
//   class FooTest : public ::testing::TestWithParam<db::testing::Engine> { ... };
//   INSTANTIATE_TEST_SUITE_P(Engines, FooTest, ::testing::ValuesIn(db::testing::AllEngines()),
//                            db::testing::EngineName);

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/check.h"
#include "core/temp_dir.h"
#include "db/open.h"
#include "db/postgres_database.h"

namespace loupe::db::testing {

enum class Engine { kSqlite, kPostgres };

inline std::vector<Engine> AllEngines() { return {Engine::kSqlite, Engine::kPostgres}; }

// The engine of this run: $LOUPE_TEST_DB, "sqlite" (the default) or "postgres". CTest runs every
// test binary that opens its database through these helpers once per engine (cmake/loupe.cmake),
// so each module's tests hold on both without a copy per engine.
inline Engine RunEngine() {
  const char* env = std::getenv("LOUPE_TEST_DB");
  std::string name = env != nullptr ? env : "sqlite";
  CHECK(name == "sqlite" || name == "postgres") << "LOUPE_TEST_DB must be sqlite or postgres";
  return name == "postgres" ? Engine::kPostgres : Engine::kSqlite;
}

inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

class PostgresServer {
 public:
  // The server of this test process, started on first use; CHECK-fails if it cannot start.
  static PostgresServer& Shared() {
    static PostgresServer server;  // stopped, and its directory removed, at exit
    return server;
  }

  ~PostgresServer() { Stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The URL of the server's database (public schema).
  std::string url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  // The URL of a new, empty schema: each test gets its own tables.
  std::string FreshUrl() {
    static std::atomic<int> counter{0};
    std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    auto admin = OpenPostgres(url());
    CHECK(admin.ok()) << admin.status().ToString();
    Status s = (*admin)->Write(
        [&](Transaction& tx) { return tx.Exec("CREATE SCHEMA " + schema).status(); });
    CHECK(s.ok()) << s.ToString();
    return url() + "?options=-csearch_path%3D" + schema;
  }

  // Stops the server (fast shutdown: open connections are cut) and waits for it to exit.
  void Stop() {
    std::ifstream pid_file(data_ / "postmaster.pid");
    pid_t pid = 0;
    if (!(pid_file >> pid) || pid <= 0) return;
    ::kill(pid, SIGINT);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Starts the server again on the same port and data (after Stop).
  void Start() {
    std::string options = "-p " + std::to_string(port_) + " -k " + dir_.path().string() +
                          " -c listen_addresses=127.0.0.1 -c fsync=off"
                          " -c synchronous_commit=off -c max_connections=200";
    Run(Bin("pg_ctl") + " -D " + data_.string() + " -l " + (dir_.path() / "log").string() +
        " -w -t 60 -o '" + options + "' start > /dev/null");
  }

 private:
  PostgresServer() : dir_("loupe-pg-") {
    if (::geteuid() == 0) {
      // The server refuses to run as root: hand the directory to an unprivileged user.
      const passwd* nobody = ::getpwnam("nobody");
      CHECK(nobody != nullptr) << "no user 'nobody' to run PostgreSQL as";
      CHECK(::chown(dir_.path().c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
      as_user_ = "runuser -u nobody -- ";
    }
    data_ = dir_.path() / "data";
    Run(Bin("initdb") + " -D " + data_.string() +
        " -A trust -U postgres -E UTF8 --locale=C --no-sync > /dev/null");
    port_ = FreePort();
    Start();
  }

  static std::string BinDir() {
    if (const char* env = std::getenv("LOUPE_PG_BIN")) return env;
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      if (std::filesystem::exists(e.path() / "bin" / "initdb") && e.path().string() > best) {
        best = e.path().string();
      }
    }
    CHECK(!best.empty()) << "PostgreSQL server binaries not found under /usr/lib/postgresql "
                            "(scripts/setup.sh installs postgresql-15; or set LOUPE_PG_BIN)";
    return best + "/bin";
  }

  std::string Bin(const std::string& name) const { return as_user_ + BinDir() + "/" + name; }

  void Run(const std::string& command) const {
    int rc = std::system(command.c_str());
    std::string log;
    std::ifstream in(dir_.path() / "log");
    std::getline(in, log, '\0');
    CHECK(rc == 0) << "'" << command << "' failed (" << rc << "): " << log;
  }

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    CHECK(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  TempDir dir_;
  std::filesystem::path data_;
  std::string as_user_;
  int port_ = 0;
};

// The spec (for OpenDatabase) of a fresh, empty database of `engine`: a SQLite file in `dir`,
// or a new schema on the shared PostgreSQL server. Opening it again reaches the same data.
inline std::string FreshDatabase(Engine engine, const std::filesystem::path& dir) {
  if (engine == Engine::kSqlite) return (dir / "loupe.db").string();
  return PostgresServer::Shared().FreshUrl();
}

inline std::string FreshDatabase(const std::filesystem::path& dir) {
  return FreshDatabase(RunEngine(), dir);
}

// Opens a fresh database of this run's engine.
inline std::unique_ptr<Database> OpenTestDatabase(const std::filesystem::path& dir) {
  auto db = OpenDatabase(FreshDatabase(dir));
  CHECK(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

}  // namespace loupe::db::testing
