#pragma once
// Test helper (header-only; for *_test.cc files only): an S3-compatible server for the S3 store's
// tests, npm s3rver 3.7.1 (tests/s3rver, installed by the build's `npm ci`), started once per
// test process on a free loopback port in a temp directory with the bucket "loupe", and stopped
// by PID at exit. Each test gets its own key prefix in that bucket. s3rver accepts any
// signature, so these tests prove the S3 calls, not the signing: aws/sigv4_test.cc proves that
// on AWS's published examples.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/check.h"
#include "core/temp_dir.h"
#include "store/s3_client.h"

namespace loupe::store::testing {

class S3Server {
 public:
  static S3Server& Shared() {
    static S3Server server;  // stopped at exit
    return server;
  }

  ~S3Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Options for the server's bucket, with s3rver's own example credentials.
  S3Options Options() const {
    S3Options options;
    options.endpoint = endpoint();
    options.bucket = "loupe";
    options.credentials = {"S3RVER", "S3RVER", ""};
    return options;
  }

  // A key prefix no other test of this process uses.
  static std::string FreshPrefix() {
    static std::atomic<int> counter{0};
    return "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  }

 private:
  S3Server() : dir_("loupe-s3-") {
    const char* source = std::getenv("LOUPE_SOURCE_DIR");
    CHECK(source != nullptr) << "LOUPE_SOURCE_DIR is not set (run the test through CTest)";
    std::string script = std::string(source) + "/tests/s3rver/node_modules/s3rver/bin/s3rver.js";
    CHECK(std::filesystem::exists(script))
        << script << " is missing: the build installs it (npm ci in tests/s3rver)";
    std::string log = (dir_.path() / "log").string();
    std::string data = (dir_.path() / "data").string();
    std::filesystem::create_directories(data);
    pid_ = ::fork();
    CHECK(pid_ >= 0) << "fork failed";
    if (pid_ == 0) {
      // ListObjectsV2 continuation tokens need Node's legacy OpenSSL provider (s3rver 3.7.1).
      ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      ::execlp("node", "node", script.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p", "0",
               "--configure-bucket", "loupe", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    // Waits for s3rver's "S3rver listening on 127.0.0.1:<port>" line.
    const std::string marker = "listening on 127.0.0.1:";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      size_t at = text.str().find(marker);
      if (at != std::string::npos) {
        port_ = std::atoi(text.str().c_str() + at + marker.size());
        if (port_ > 0) return;
      }
      int status = 0;
      CHECK(::waitpid(pid_, &status, WNOHANG) == 0) << "s3rver exited: " << text.str();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(false) << "s3rver did not start within 60 s";
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace loupe::store::testing
