#pragma once
// PostgresServer (header-only; for tests and benchmarks): a PostgreSQL server started for this
// process from the Debian server binaries (/usr/lib/postgresql/*/bin, or $LOUPE_PG_BIN), as an
// unprivileged user when run as root, in a temp directory, on a free loopback port, and
// stopped by PID at exit. FreshUrl gives each user its own empty schema. CHECK-fails when the
// server cannot start (scripts/setup.sh installs postgresql-15).

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/check.h"
#include "core/temp_dir.h"
#include "db/postgres_database.h"

namespace loupe::db::testing {

class PostgresServer {
 public:
  // The server of this process, started on first use; CHECK-fails if it cannot start. Tests
  // run it without fsync (their data is thrown away); `durable` (benchmarks; only the first
  // call decides) keeps PostgreSQL's default fsync and synchronous commit.
  static PostgresServer& Shared(bool durable = false) {
    static PostgresServer server(durable);  // stopped, and its directory removed, at exit
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
  std::string FreshUrl() { return FreshSchemaUrl(url()); }

  // A new, empty schema in the database at `base_url` (no query part), and its URL.
  static std::string FreshSchemaUrl(const std::string& base_url) {
    static std::atomic<int> counter{0};
    std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    auto admin = OpenPostgres(base_url);
    CHECK(admin.ok()) << admin.status().ToString();
    Status s = (*admin)->Write(
        [&](Transaction& tx) { return tx.Exec("CREATE SCHEMA " + schema).status(); });
    CHECK(s.ok()) << s.ToString();
    return base_url + "?options=-csearch_path%3D" + schema;
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
                          " -c listen_addresses=127.0.0.1 -c max_connections=200";
    if (!durable_) options += " -c fsync=off -c synchronous_commit=off";
    Run(Bin("pg_ctl") + " -D " + data_.string() + " -l " + (dir_.path() / "log").string() +
        " -w -t 60 -o '" + options + "' start > /dev/null");
  }

 private:
  explicit PostgresServer(bool durable) : dir_("loupe-pg-"), durable_(durable) {
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
  const bool durable_;
  std::filesystem::path data_;
  std::string as_user_;
  int port_ = 0;
};

}  // namespace loupe::db::testing
