#include "support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <thread>

namespace loupe::testing {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out += "0123456789abcdef"[rd() & 15];
    out += "0123456789abcdef"[rd() & 15];
  }
  return out;
}

// In the child, after fork: applies `env` (an empty value unsets).
void ApplyEnv(const std::vector<std::pair<std::string, std::string>>& env) {
  for (const auto& [k, v] : env) {
    if (v.empty()) {
      unsetenv(k.c_str());
    } else {
      setenv(k.c_str(), v.c_str(), 1);
    }
  }
}

}  // namespace

const std::string& AdminToken() {
  static const std::string kToken = "loupe-test-" + RandomHex(32);
  return kToken;
}

const std::string& AdminPassword() {
  static const std::string kPassword = "pw-" + RandomHex(12);
  return kPassword;
}

std::filesystem::path SourceDir() {
  const char* dir = std::getenv("LOUPE_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::filesystem::path LogogenDir() { return SourceDir() / ".." / "shared" / "logogen"; }

std::string LoupeBinary() {
  const char* bin = std::getenv("LOUPE_BIN");
  return bin != nullptr ? bin : "loupe";
}

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_args,
                             std::vector<std::pair<std::string, std::string>> env)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)), env_(std::move(env)) {}

ServerProcess::~ServerProcess() { Kill(); }

Status ServerProcess::Start(std::chrono::seconds timeout) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return InternalError("pipe failed");
  std::vector<std::string> args = {LoupeBinary(), "serve",   "--port",      "0",
                                   "--data",      data_dir_, "--log-level", "warn"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<std::pair<std::string, std::string>> env = {{"LOUPE_ADMIN_PASSWORD", AdminPassword()},
                                                          {"LOUPE_BOOTSTRAP_TOKEN", AdminToken()}};
  env.insert(env.end(), env_.begin(), env_.end());
  AdminToken();  // initialised before fork
  pid_t pid = fork();
  if (pid < 0) return InternalError("fork failed");
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    ApplyEnv(env);
    auto argv = Argv(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  pid_ = pid;
  stdout_fd_ = out_pipe[0];
  // The line "loupe listening on http://127.0.0.1:PORT" (a first start may print the admin
  // password before it).
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto listening = [&out]() -> std::optional<std::string> {
    size_t at = out.find("loupe listening on ");
    if (at == std::string::npos) return std::nullopt;
    size_t end = out.find('\n', at);
    if (end == std::string::npos) return std::nullopt;
    return out.substr(at, end - at);
  };
  while (!listening()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return DeadlineExceededError("loupe did not print its port");
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) return UnavailableError("loupe exited before listening");
    out.append(buf, static_cast<size_t>(n));
  }
  startup_output_ = out;
  std::string line = *listening();
  auto colon = line.rfind(':');
  port_ = std::atoi(line.c_str() + colon + 1);
  if (port_ <= 0) return InternalError("unexpected first line: " + line);
  auto client = Client();
  bool healthy = WaitFor(
      [&] {
        auto r = client->Send("GET", "/healthz");
        return r.ok() && r->status == 200;
      },
      timeout);
  return healthy ? Status::Ok() : DeadlineExceededError("/healthz never answered 200");
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

std::unique_ptr<server::HttpClient> ServerProcess::Client() const {
  return ClientWithToken(AdminToken());
}

std::unique_ptr<server::HttpClient> ServerProcess::ClientWithToken(const std::string& token) const {
  auto c = server::HttpClient::Create(url());
  if (!c.ok()) return nullptr;
  (*c)->SetBearerToken(token);
  return std::move(c).value();
}

CommandResult RunCli(const std::string& server_url, const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env) {
  int out_pipe[2], err_pipe[2];
  CommandResult result;
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  const std::string& token = AdminToken();
  std::vector<std::string> full = {LoupeBinary()};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    setenv("LOUPE_SERVER", server_url.c_str(), 1);
    setenv("LOUPE_TOKEN", token.c_str(), 1);
    ApplyEnv(env);
    auto argv = Argv(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::thread err_reader([&] { result.err = ReadAll(err_pipe[0]); });
  result.out = ReadAll(out_pipe[0]);
  err_reader.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool WaitFor(const std::function<bool()>& probe, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);  // back-off between probes of a condition
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

}  // namespace loupe::testing
