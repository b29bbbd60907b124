#include "server/http_client.h"

#include <httplib.h>

#include <cctype>

namespace loupe::server {
namespace {

std::string Encode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string EncodePath(std::string_view key) { return Encode(key, true); }
std::string EncodeQuery(std::string_view value) { return Encode(value, false); }

HttpClient::HttpClient(std::unique_ptr<httplib::Client> client, std::string base_url)
    : client_(std::move(client)), base_url_(std::move(base_url)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url) {
  if (!base_url.starts_with("http://") && !base_url.starts_with("https://")) {
    return InvalidArgumentError("server URL must start with http:// or https:// (got '" + base_url +
                                "')");
  }
  auto client = std::make_unique<httplib::Client>(base_url);
  if (!client->is_valid()) return InvalidArgumentError("invalid server URL '" + base_url + "'");
  client->set_keep_alive(true);
  client->set_read_timeout(600, 0);
  client->set_connection_timeout(10, 0);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(client), base_url));
}

void HttpClient::SetBearerToken(const std::string& token) {
  token_ = token;
  client_->set_bearer_token_auth(token);
}

void HttpClient::SetHeader(const std::string& name, const std::string& value) {
  if (value.empty()) {
    headers_.erase(name);
  } else {
    headers_[name] = value;
  }
  httplib::Headers all;
  for (const auto& [k, v] : headers_) all.emplace(k, v);
  client_->set_default_headers(std::move(all));
}

void HttpClient::SetTimeoutSeconds(int seconds) { client_->set_read_timeout(seconds, 0); }

Result<ClientResponse> HttpClient::Send(std::string_view method, const std::string& path,
                                        const std::string& body, const std::string& content_type) {
  httplib::Result res(nullptr, httplib::Error::Unknown);
  if (method == "GET") {
    res = client_->Get(path);
  } else if (method == "HEAD") {
    res = client_->Head(path);
  } else if (method == "DELETE") {
    res = client_->Delete(path);
  } else if (method == "PUT") {
    res = client_->Put(path, body, content_type);
  } else if (method == "POST") {
    res = client_->Post(path, body, content_type);
  } else {
    return InvalidArgumentError("unsupported method " + std::string(method));
  }
  if (!res) {
    return UnavailableError("cannot reach loupe at " + base_url_ + ": " +
                            httplib::to_string(res.error()));
  }
  ClientResponse out;
  out.status = res->status;
  out.body = std::move(res->body);
  for (const auto& [k, v] : res->headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[lower] = v;
  }
  return out;
}

}  // namespace loupe::server
