#include "cli/client_options.h"

#include <cstdlib>

namespace loupe::cli {

void RegisterClientOptions(CLI::App& app, ClientOptions& options) {
  const char* env_server = std::getenv("LOUPE_SERVER");
  options.server =
      env_server != nullptr && *env_server != '\0' ? env_server : "http://127.0.0.1:8080";
  const char* env_token = std::getenv("LOUPE_TOKEN");
  if (env_token != nullptr) options.token = env_token;
  app.add_option("--server", options.server, "loupe server URL (env LOUPE_SERVER)")
      ->capture_default_str();
  app.add_option("--token", options.token, "API token (env LOUPE_TOKEN)");
  app.add_flag("--json", options.json, "Print JSON instead of tables");
}

}  // namespace loupe::cli
