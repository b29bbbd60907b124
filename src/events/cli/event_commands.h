#pragma once
// The CLI's event subcommand, a thin client of GET /v1/events:
//   loupe events ls [--after N] [--limit N] [--kind K]

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::events {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterEventCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::events
