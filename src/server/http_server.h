#pragma once
// HttpServer: serves a Router over HTTP (cpp-httplib, a thread pool). Adds request-size limits,
// JSON errors for every failure (404/405/413/500 included) and request metrics. Start with
// Bind + Run (blocking) on one thread; Stop from any thread stops accepting, lets in-flight
// requests finish and makes Run return.

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/router.h"

namespace httplib {
class Server;
}

namespace loupe::server {

struct HttpServerOptions {
  size_t max_body_bytes = size_t{15} * 1024 * 1024;
  // Worker threads; a streamed response (SSE) holds one for as long as it is open.
  int threads = 32;
};

class HttpServer {
 public:
  HttpServer(const Router& router, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `host`:`port` (0 = a free port) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  // Serves until Stop(). REQUIRES: Bind succeeded.
  Status Run();
  void Stop();
  // Prometheus text exposition of request counters.
  std::string MetricsText() const;

 private:
  void Install();

  const Router& router_;
  HttpServerOptions options_;
  std::atomic<bool> run_entered_{false};
  std::atomic<bool> run_done_{false};
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<httplib::Server> server_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace loupe::server
