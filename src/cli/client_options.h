#pragma once
// ClientOptions: how the CLI's client subcommands reach a loupe server, from the global
// --server/--token/--json options. Each module's commands (src/<m>/cli/) are thin clients of
// its HTTP routes through cli::Api; errors print "error: <Code>: <message>" on stderr and
// exit non-zero.

#include <CLI/CLI.hpp>
#include <string>

namespace loupe::cli {

struct ClientOptions {
  // --server URL, default from $LOUPE_SERVER or http://127.0.0.1:8080.
  std::string server;
  // --token, default from $LOUPE_TOKEN: sent as `Authorization: Bearer <token>`.
  std::string token;
  bool json = false;  // --json: print the API's JSON instead of tables
};

// Adds the global --server/--token/--json options to `app`, with their defaults from the
// environment. Call before registering client subcommands (they read `options` when run).
void RegisterClientOptions(CLI::App& app, ClientOptions& options);

}  // namespace loupe::cli
