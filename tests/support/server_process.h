#pragma once
// Test support: runs `loupe serve --port 0 --data DIR` as a child process, learns its port from
// its "loupe listening on" stdout line, waits for /healthz, and ends it by PID (SIGTERM or
// SIGKILL). Also runs CLI commands. The child starts with $LOUPE_ADMIN_PASSWORD and
// $LOUPE_BOOTSTRAP_TOKEN set to this test process's admin credentials (random per process), so
// on a fresh data directory it creates the admin account and an admin API token; Client() and
// RunCli() use that token. Not thread-safe; one instance per test.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "server/http_client.h"

namespace loupe::testing {

// Path of the loupe binary ($LOUPE_BIN, set by CTest).
std::string LoupeBinary();
// The source tree ($LOUPE_SOURCE_DIR, set by CTest) and the logo generator beside it
// (../shared/logogen, see DEVELOPERS.md).
std::filesystem::path SourceDir();
std::filesystem::path LogogenDir();
// This test process's admin API token and admin password (random, fixed per process), given
// to every server it starts as $LOUPE_BOOTSTRAP_TOKEN and $LOUPE_ADMIN_PASSWORD.
const std::string& AdminToken();
const std::string& AdminPassword();

class ServerProcess {
 public:
  // `env` adds or overrides variables of the child's environment (an empty value unsets one).
  explicit ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {},
                         std::vector<std::pair<std::string, std::string>> env = {});
  ~ServerProcess();  // SIGKILLs the child if still running

  // Starts the child and waits (up to `timeout`) until /healthz answers 200.
  Status Start(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGTERM, then waits for exit; returns the exit status (or -signal).
  int Stop();
  // SIGKILL, then reaps.
  void Kill();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  // A fresh client bound to this server that sends the admin token.
  std::unique_ptr<server::HttpClient> Client() const;
  // A fresh client that sends `token` (none when empty).
  std::unique_ptr<server::HttpClient> ClientWithToken(const std::string& token) const;
  const std::string& admin_token() const { return AdminToken(); }
  const std::string& admin_password() const { return AdminPassword(); }
  // Everything the child printed on stdout up to its "listening" line.
  const std::string& startup_output() const { return startup_output_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::string startup_output_;
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the loupe CLI with `args` and env LOUPE_SERVER=server_url, LOUPE_TOKEN=AdminToken();
// `env` adds or overrides variables (an empty value unsets one). Captures output.
CommandResult RunCli(const std::string& server_url, const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env = {});

// Calls `probe` until it returns true or `timeout` passes (polling with a short back-off).
bool WaitFor(const std::function<bool()>& probe,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace loupe::testing
