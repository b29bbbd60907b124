#pragma once
// Api: the CLI's connection to a loupe server. Sends requests with the caller's token and
// prints failures as "error: <Code>: <message>" on stderr (transport errors, and API errors
// from their {"error":{"code","message"}} body). One per command invocation; not thread-safe.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/client_commands.h"
#include "server/http_client.h"

namespace loupe::cli {

class Api {
 public:
  explicit Api(const ClientOptions& options) : options_(options) {}

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
  std::unique_ptr<server::HttpClient> client_;
};

}  // namespace loupe::cli
