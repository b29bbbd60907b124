#pragma once
// Test helpers for notify (header-only; included by tests only, so httplib stays out of the
// library): a webhook receiver (an httplib server on a free loopback port that records every
// request and answers with a chosen status) and an SMTP sink (a loopback TCP server speaking
// just enough SMTP — 220/250/354/250/221 — that records each mail's envelope and DATA), and a
// silent listener (accepts connections, never answers: for time-outs). The servers are
// thread-safe and stop in their destructors.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace loupe::notify::testing {

class WebhookReceiver {
 public:
  struct Request {
    std::string path;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
  };

  WebhookReceiver() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Request r{req.path, {}, req.body};
      for (const auto& [k, v] : req.headers) {
        std::string name = k;
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = v;
      }
      std::lock_guard lock(mu_);
      requests_.push_back(std::move(r));
      cv_.notify_all();
      res.status = status_;
      if (!location_.empty()) res.set_header("Location", location_);
      res.set_content("receiver says " + std::to_string(status_), "text/plain");
    };
    server_.Post(R"(/.*)", handler);
    server_.Get(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The status to answer with; `location` becomes a Location header when not empty.
  void Answer(int status, std::string location = "") {
    std::lock_guard lock(mu_);
    status_ = status;
    location_ = std::move(location);
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Blocks until at least `n` requests arrived or `timeout` passed; true if they did.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int status_ = 200;               // guarded by mu_
  std::string location_;           // guarded by mu_
  std::vector<Request> requests_;  // guarded by mu_
};

class SmtpSink {
 public:
  struct Mail {
    std::string from;               // MAIL FROM argument, e.g. "<a@b>"
    std::vector<std::string> rcpt;  // RCPT TO arguments
    std::string data;               // the message, CRLF line ends, without the final "."
  };

  SmtpSink() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpSink() {
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listen_fd_);
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  std::string Url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<Mail> mails() const {
    std::lock_guard lock(mu_);
    return mails_;
  }
  // Blocks until at least `n` mails arrived or `timeout` passed; true if they did.
  bool WaitForMails(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return mails_.size() >= n; });
  }

 private:
  static void Send(int fd, const std::string& line) {
    [[maybe_unused]] ssize_t n = send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  }

  void Serve() {
    while (true) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      Session(fd);
      close(fd);
    }
  }

  void Session(int fd) {
    Send(fd, "220 sink ESMTP\r\n");
    Mail mail;
    bool in_data = false;
    std::string buffer;
    char chunk[4096];
    while (true) {
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<size_t>(n));
      size_t eol;
      while ((eol = buffer.find("\r\n")) != std::string::npos) {
        std::string line = buffer.substr(0, eol);
        buffer.erase(0, eol + 2);
        if (in_data) {
          if (line == ".") {
            in_data = false;
            {
              std::lock_guard lock(mu_);
              mails_.push_back(mail);
            }
            cv_.notify_all();
            mail = Mail{};
            Send(fd, "250 queued\r\n");
          } else {
            mail.data += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
          }
          continue;
        }
        std::string verb = line.substr(0, 4);
        for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (verb == "EHLO" || verb == "HELO" || verb == "RSET" || verb == "NOOP") {
          Send(fd, "250 sink\r\n");
        } else if (verb == "MAIL") {
          mail.from = line.substr(line.find(':') + 1);
          Send(fd, "250 ok\r\n");
        } else if (verb == "RCPT") {
          mail.rcpt.push_back(line.substr(line.find(':') + 1));
          Send(fd, "250 ok\r\n");
        } else if (verb == "DATA") {
          in_data = true;
          Send(fd, "354 go ahead\r\n");
        } else if (verb == "QUIT") {
          Send(fd, "221 bye\r\n");
          return;
        } else {
          Send(fd, "502 not implemented\r\n");
        }
      }
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Mail> mails_;  // guarded by mu_
};

// A loopback port that accepts connections (the kernel's backlog) but never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  // Waits until a client connected (a connection is queued), or `timeout` passed.
  bool WaitForConnection(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace loupe::notify::testing
