#pragma once
// HttpClient: a small blocking HTTP/1.1 client for loupe's CLI and tests (cpp-httplib inside).
// One instance per thread (not thread-safe); keeps the connection alive between calls.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace httplib {
class Client;
}

namespace loupe::server {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class HttpClient {
 public:
  // `base_url` like "http://127.0.0.1:8080".
  static Result<std::unique_ptr<HttpClient>> Create(const std::string& base_url);
  ~HttpClient();

  // Sends `Authorization: Bearer <token>` with every request (nothing when empty).
  void SetBearerToken(const std::string& token);
  // Sends header `name: value` with every request (e.g. Cookie, X-CSRF-Token); an empty value
  // removes it.
  void SetHeader(const std::string& name, const std::string& value);
  void SetTimeoutSeconds(int seconds);

  // Unavailable when the server can't be reached; otherwise the response, whatever its status.
  Result<ClientResponse> Send(std::string_view method, const std::string& path,
                              const std::string& body = "",
                              const std::string& content_type = "application/json");

 private:
  explicit HttpClient(std::unique_ptr<httplib::Client> client, std::string base_url);
  std::unique_ptr<httplib::Client> client_;
  std::string base_url_;
  std::string token_;
  std::map<std::string, std::string> headers_;
};

// Percent-encodes an object key for a URL path, keeping '/' separators.
std::string EncodePath(std::string_view key);
// Percent-encodes a query parameter value.
std::string EncodeQuery(std::string_view value);

}  // namespace loupe::server
