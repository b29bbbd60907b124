#include "server/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "core/encoding.h"

namespace loupe::server {

struct HttpServer::Metrics {
  mutable std::mutex mu;
  // (method, route pattern, status) -> count; plus summed seconds per route.
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests;
  std::map<std::pair<std::string, std::string>, double> seconds;

  void Record(const std::string& method, const std::string& pattern, int status, double secs) {
    std::lock_guard lock(mu);
    ++requests[{method, pattern, status}];
    seconds[{method, pattern}] += secs;
  }
};

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Sends `from.stream` chunked until it ends, the client goes away or `stopping` is set.
void ApplyStream(const HttpResponse& from, httplib::Response& to,
                 const std::atomic<bool>* stopping) {
  to.set_chunked_content_provider(
      from.content_type,
      [stream = from.stream, stopping](size_t /*offset*/, httplib::DataSink& sink) {
        if (stopping != nullptr && stopping->load()) {
          sink.done();
          return true;
        }
        bool open = true;
        bool more = stream([&](std::string_view piece) {
          open = open && sink.is_writable() && sink.write(piece.data(), piece.size());
          return open;
        });
        if (!open) return false;  // the client is gone: abandon the response
        if (!more) sink.done();
        return true;
      });
}

void Apply(const HttpResponse& from, httplib::Response& to,
           const std::atomic<bool>* stopping = nullptr) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  if (from.stream) {
    ApplyStream(from, to, stopping);
  } else if (!from.content_type.empty()) {
    to.set_content(from.body, from.content_type.c_str());
  } else {
    to.body = from.body;
  }
}

// The query of a request target with percent-escapes decoded and nothing else ('+' stays '+',
// every pair kept): what a SigV4 signature covers, so AWS handlers read exactly what was
// signed. nullopt on a malformed escape.
std::optional<std::multimap<std::string, std::string>> StrictQuery(std::string_view target) {
  std::multimap<std::string, std::string> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq));
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name.ok() || !value.ok()) return std::nullopt;
    out.emplace(std::move(*name), std::move(*value));
  }
  return out;
}

std::string EscapeLabel(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

HttpServer::HttpServer(const Router& router, HttpServerOptions options,
                       const Authenticator* authenticator)
    : router_(router),
      options_(options),
      authenticator_(authenticator),
      server_(std::make_unique<httplib::Server>()),
      metrics_(std::make_unique<Metrics>()) {
  Install();
}

HttpServer::~HttpServer() { Stop(); }

std::optional<HttpResponse> HttpServer::Admit(const Route& route, HttpRequest& request) const {
  Result<Caller> caller = UnauthenticatedError("authentication required");
  if (authenticator_ != nullptr) caller = authenticator_->Authenticate(request);
  bool csrf_ok =
      !caller.ok() || !caller->session || !IsUnsafeMethod(request.method) || caller->csrf_valid;
  auto refuse = [&route](const Status& status) {
    return route.refusal ? route.refusal(status) : HttpResponse::Error(status);
  };
  if (route.role == Role::kPublic) {
    // Public routes run for everyone; a caller is named only when its credentials are fully
    // valid (a session without its CSRF token on an unsafe method stays anonymous).
    if (caller.ok() && csrf_ok) {
      request.principal = caller->principal;
      request.role = caller->role;
      request.teams = caller->teams;
    }
    return std::nullopt;
  }
  if (!caller.ok()) {
    HttpResponse r = refuse(caller.status());
    if (!route.refusal && caller.status().code() == StatusCode::kUnauthenticated) {
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    return r;
  }
  if (!csrf_ok) {
    return refuse(
        PermissionDeniedError("missing or invalid X-CSRF-Token header (session requests that "
                              "change state must send the token from /v1/auth/me)"));
  }
  if (!RoleAllows(caller->role, route.role)) {
    return refuse(PermissionDeniedError("role " + std::string(RoleName(caller->role)) +
                                        " may not call " + route.method + " " + request.path +
                                        " (needs " + std::string(RoleName(route.role)) + ")"));
  }
  request.principal = caller->principal;
  request.role = caller->role;
  request.teams = caller->teams;
  return std::nullopt;
}

void HttpServer::Install() {
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->new_task_queue = [n = options_.threads] {
    return new httplib::ThreadPool(static_cast<size_t>(n));
  };
  server_->set_keep_alive_max_count(1000);
  // Idle keep-alive connections hold a worker until this passes, also during shutdown.
  server_->set_keep_alive_timeout(2);
  // Every route is registered per method with a wrapper that adapts httplib's types.
  for (const Route& route : router_.routes()) {
    const Route* r = &route;
    auto handler = [this, r](const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      HttpRequest in;
      in.method = req.method;
      in.path = req.path;
      in.raw_target = req.target;
      for (size_t i = 1; i < req.matches.size(); ++i) in.path_params.push_back(req.matches[i]);
      for (const auto& [k, v] : req.headers) in.headers[Lower(k)] = v;
      std::optional<std::multimap<std::string, std::string>> strict;
      if (in.Header("authorization").rfind("AWS4-HMAC-SHA256", 0) == 0) {
        strict = StrictQuery(req.target);
      }
      if (strict) {
        in.query = std::move(*strict);
      } else {
        for (const auto& [k, v] : req.params) in.query.emplace(k, v);
      }
      in.body = req.body;
      in.remote_addr = req.remote_addr;
      HttpResponse out;
      try {
        if (auto refused = Admit(*r, in)) {
          out = std::move(*refused);
        } else {
          out = r->handler(in);
        }
      } catch (const std::exception& e) {
        spdlog::error("http: {} {} threw: {}", req.method, req.path, e.what());
        out = HttpResponse::Error(InternalError("internal error"));
      }
      Apply(out, res, &stop_requested_);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics_->Record(r->method, r->pattern, res.status, secs);
    };
    if (route.method == "GET") {
      server_->Get(route.pattern, handler);
    } else if (route.method == "PUT") {
      server_->Put(route.pattern, handler);
    } else if (route.method == "POST") {
      server_->Post(route.pattern, handler);
    } else if (route.method == "DELETE") {
      server_->Delete(route.pattern, handler);
    }
    // HEAD routes are served by the GET route of the same pattern (httplib dispatches HEAD
    // to GET handlers and drops the body); they are in the table for the role and the docs.
  }
  // Failures that never reached a handler (no route, body too large, bad request line) get
  // the same JSON error shape.
  server_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        Status s;
        if (res.status == 404) {
          s = NotFoundError("no route for " + req.method + " " + req.path);
        } else if (res.status == 413) {
          s = PayloadTooLargeError("request body is larger than the server's limit");
        } else if (res.status == 405) {
          s = Status(StatusCode::kInvalidArgument, "method not allowed");
        } else if (res.status == 400) {
          s = InvalidArgumentError("malformed HTTP request");
        } else {
          s = Status(StatusCode::kUnknown, "HTTP error " + std::to_string(res.status));
        }
        int status = res.status;
        Apply(HttpResponse::Error(s), res);
        res.status = status;
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("http: {} {} failed: {}", req.method, req.path, what);
        Apply(HttpResponse::Error(InternalError("internal error")), res);
      });
}

Result<int> HttpServer::Bind(const std::string& host, int port) {
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return UnavailableError("cannot listen on " + host + ":" + std::to_string(port));
  }
  return bound;
}

Status HttpServer::Run() {
  run_entered_ = true;
  if (stop_requested_) {
    run_done_ = true;
    return Status::Ok();
  }
  bool ok = server_->listen_after_bind();
  run_done_ = true;
  if (!ok && !stop_requested_) return UnavailableError("HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  stop_requested_ = true;
  if (!run_entered_) return;  // Run will see stop_requested_ and return at once.
  // Run has been entered: wait until httplib is in its accept loop (or done), then stop it.
  while (!server_->is_running() && !run_done_) std::this_thread::yield();
  server_->stop();
}

std::string HttpServer::MetricsText() const {
  std::string out =
      "# HELP loupe_http_requests_total HTTP requests by route and status.\n"
      "# TYPE loupe_http_requests_total counter\n";
  std::lock_guard lock(metrics_->mu);
  for (const auto& [key, count] : metrics_->requests) {
    const auto& [method, pattern, status] = key;
    out += "loupe_http_requests_total{method=\"" + method + "\",route=\"" + EscapeLabel(pattern) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP loupe_http_request_seconds_sum Time spent serving requests by route.\n"
      "# TYPE loupe_http_request_seconds_sum counter\n";
  for (const auto& [key, secs] : metrics_->seconds) {
    out += "loupe_http_request_seconds_sum{method=\"" + key.first + "\",route=\"" +
           EscapeLabel(key.second) + "\"} " + std::to_string(secs) + "\n";
  }
  return out;
}

}  // namespace loupe::server
