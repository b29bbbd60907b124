#pragma once
// Api: the CLI's connection to a loupe server. Sends requests with the caller's token and
// prints failures as "error: <Code>: <message>" on stderr (transport errors, and API errors
// from their {"error":{"code","message"}} body). One per command invocation; not thread-safe.

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client_options.h"
#include "server/http_client.h"

namespace loupe::cli {

class Api {
 public:
  // `timeout_seconds` > 0 bounds the wait for each answer (the client's default otherwise).
  explicit Api(const ClientOptions& options, int timeout_seconds = 0)
      : options_(options), timeout_seconds_(timeout_seconds) {}

  // The response if the server answered with a status below 400; otherwise prints the error
  // and returns nullopt.
  std::optional<server::ClientResponse> Call(std::string_view method, const std::string& path,
                                             const std::string& body = "",
                                             const std::string& content_type = "application/json");
  // Call, with the body parsed as JSON (an empty body reads as {}).
  std::optional<nlohmann::json> CallJson(std::string_view method, const std::string& path,
                                         const std::string& body = "");

  static void PrintError(const std::string& message);

 private:
  const ClientOptions& options_;
  const int timeout_seconds_;
  std::unique_ptr<server::HttpClient> client_;
};

// A command's --json output: the JSON indented by 2, on stdout.
void PrintJson(const nlohmann::json& j);
// A JSON value as table text: a string as it is, null as "-", anything else as JSON.
std::string Text(const nlohmann::json& v);

// Sends one request; a failure (already reported by Api) sets *exit_code to 1. Otherwise prints
// the answer: as JSON with --json, else with `print`.
void CallAndPrint(const ClientOptions& options, int* exit_code, std::string_view method,
                  const std::string& path, const std::string& body,
                  const std::function<void(const nlohmann::json&)>& print);
// Sends one request and says `done` on stdout when it succeeded (also with --json).
void CallAndSay(const ClientOptions& options, int* exit_code, std::string_view method,
                const std::string& path, const std::string& body, const std::string& done);

// A table column: its heading, the width it is padded to (not the last column) and the JSON
// pointer of its cell in a row ("/id", "/subscription/endpoint").
struct Column {
  const char* heading;
  size_t width;
  const char* pointer;
};
// `rows` as a table under a line of headings; a cell as Text shows it, empty when the row has
// no value (or null) there.
void PrintTable(const nlohmann::json& rows, const std::vector<Column>& columns);
// GETs `path` and prints the array under `key` as a table (the whole answer with --json).
void PrintList(const ClientOptions& options, int* exit_code, const std::string& path,
               const char* key, const std::vector<Column>& columns);

}  // namespace loupe::cli
