#pragma once
// The CLI's object subcommands, thin clients of the /v1/objects routes:
//   loupe objects put FILE KEY | get KEY [-o FILE] | ls [PREFIX] | rm KEY

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::store {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterObjectCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::store
