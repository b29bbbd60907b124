#pragma once
// The CLI's client subcommands (`loupe params|objects|events …`): each is a thin client of the
// HTTP API. Errors print "error: <Code>: <message>" on stderr and exit non-zero.

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

// Adds the global --server/--token/--json options and the client subcommands to `app`. Each
// subcommand's callback stores its exit code in `*exit_code`.
void RegisterClientCommands(CLI::App& app, ClientOptions& options, int* exit_code);

// Parses a command-line parameter value: true/false, numbers and JSON literals become typed
// JSON; anything else is sent as a string (and refused by the server with its reason).
std::string ParameterValueJson(const std::string& text);

}  // namespace loupe::cli
