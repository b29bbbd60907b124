#include "cli/api.h"

#include <algorithm>
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

void CallAndPrint(const ClientOptions& options, int* exit_code, std::string_view method,
                  const std::string& path, const std::string& body,
                  const std::function<void(const json&)>& print) {
  auto r = Api(options).CallJson(method, path, body);
  if (!r) return void(*exit_code = 1);
  options.json ? PrintJson(*r) : print(*r);
}

void CallAndSay(const ClientOptions& options, int* exit_code, std::string_view method,
                const std::string& path, const std::string& body, const std::string& done) {
  if (!Api(options).CallJson(method, path, body)) return void(*exit_code = 1);
  std::cout << done << "\n";
}

void PrintTable(const json& rows, const std::vector<Column>& columns) {
  auto line = [&columns](auto cell) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string text = cell(columns[i]);
      if (i + 1 < columns.size()) text.resize(std::max(text.size(), columns[i].width), ' ');
      out += text + (i + 1 < columns.size() ? " " : "\n");
    }
    std::fputs(out.c_str(), stdout);
  };
  line([](const Column& c) { return std::string(c.heading); });
  for (const json& row : rows) {
    line([&row](const Column& c) {
      json::json_pointer at(c.pointer);
      return row.contains(at) && !row.at(at).is_null() ? Text(row.at(at)) : std::string();
    });
  }
}

void PrintList(const ClientOptions& options, int* exit_code, const std::string& path,
               const char* key, const std::vector<Column>& columns) {
  CallAndPrint(options, exit_code, "GET", path, "", [key, &columns](const json& r) {
    PrintTable(r.value(key, json::array()), columns);
  });
}

}  // namespace loupe::cli
