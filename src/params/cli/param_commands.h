#pragma once
// The CLI's parameter subcommands, thin clients of the /v1/parameters routes:
//   loupe params list | get NAME | set NAME VALUE | history NAME

#include <CLI/CLI.hpp>
#include <string>

#include "cli/client_options.h"

namespace loupe::params {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterParamCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

// Parses a command-line parameter value: true/false, numbers and JSON literals become typed
// JSON; anything else is sent as a string (and refused by the server with its reason).
std::string ParameterValueJson(const std::string& text);

}  // namespace loupe::params
