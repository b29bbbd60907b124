#pragma once
// HttpServer: serves a Router over HTTP (cpp-httplib, a thread pool). Adds request-size limits,
// JSON errors for every failure (404/405/413/500 included), request metrics, and enforces each
// route's role: its Authenticator names the caller (HttpRequest::principal/role/teams), callers
// without valid credentials get 401 on non-public routes, callers whose role does not allow the
// route get 403, and session-cookie callers need a valid X-CSRF-Token on unsafe methods (403).
// Without an Authenticator every non-public route answers 401 (fail closed). Start with
// Bind + Run (blocking) on one thread; Stop from any thread stops accepting, lets in-flight
// requests finish and makes Run return.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "server/authenticator.h"
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
  // `authenticator` (borrowed, may be null = nobody is authenticated) must outlive the server.
  HttpServer(const Router& router, HttpServerOptions options,
             const Authenticator* authenticator = nullptr);
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
  // Fills the caller into `request`; returns an error response when the route refuses it.
  std::optional<HttpResponse> Admit(const Route& route, HttpRequest& request) const;

  const Router& router_;
  HttpServerOptions options_;
  const Authenticator* authenticator_;
  std::atomic<bool> run_entered_{false};
  std::atomic<bool> run_done_{false};
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<httplib::Server> server_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace loupe::server
