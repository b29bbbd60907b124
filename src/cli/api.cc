#include "cli/api.h"

#include <cstdio>
#include <iostream>

namespace loupe::cli {

using nlohmann::json;

std::optional<server::ClientResponse> Api::Call(std::string_view method, const std::string& path,
                                                const std::string& body,
                                                const std::string& content_type) {
  if (!client_) {
    auto c = server::HttpClient::Create(options_.server);
    if (!c.ok()) {
      PrintError(c.status().ToString());
      return std::nullopt;
    }
    client_ = std::move(c).value();
    client_->SetBearerToken(options_.token);
    if (timeout_seconds_ > 0) client_->SetTimeoutSeconds(timeout_seconds_);
  }
  auto r = client_->Send(method, path, body, content_type);
  if (!r.ok()) {
    PrintError(r.status().ToString());
    return std::nullopt;
  }
  if (r->status >= 400) {
    json err = json::parse(r->body, nullptr, false);
    if (!err.is_discarded() && err.contains("error")) {
      PrintError(err["error"].value("code", "Error") + ": " + err["error"].value("message", ""));
    } else {
      PrintError("HTTP " + std::to_string(r->status) + " " + r->body);
    }
    if (r->status == 401 && options_.token.empty()) {
      std::fputs("hint: set LOUPE_TOKEN or pass --token (create one with `loupe tokens create`)\n",
                 stderr);
    }
    return std::nullopt;
  }
  return std::move(r).value();
}

std::optional<json> Api::CallJson(std::string_view method, const std::string& path,
                                  const std::string& body) {
  auto r = Call(method, path, body);
  if (!r) return std::nullopt;
  if (r->body.empty()) return json::object();
  json parsed = json::parse(r->body, nullptr, false);
  if (parsed.is_discarded()) {
    PrintError("server sent malformed JSON");
    return std::nullopt;
  }
  return parsed;
}

void Api::PrintError(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

std::string Text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace loupe::cli
