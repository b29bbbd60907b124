#pragma once
// Test support: runs `loupe serve --port 0 --data DIR` as a child process, learns its port from
// its first stdout line, waits for /healthz, and ends it by PID (SIGTERM or SIGKILL). Also runs
// CLI commands. Not thread-safe; one instance per test.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "server/http_client.h"

namespace loupe::testing {

// Path of the loupe binary ($LOUPE_BIN, set by CTest).
std::string LoupeBinary();

class ServerProcess {
 public:
  explicit ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {});
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
  // A fresh client bound to this server.
  std::unique_ptr<server::HttpClient> Client() const;

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the loupe CLI with `args` and env LOUPE_SERVER=server_url; captures output.
CommandResult RunCli(const std::string& server_url, const std::vector<std::string>& args);

// Calls `probe` until it returns true or `timeout` passes (polling with a short back-off).
bool WaitFor(const std::function<bool()>& probe,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace loupe::testing
