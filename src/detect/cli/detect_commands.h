#pragma once
// The CLI's detection subcommand, a thin client of POST /v1/detect (docs/serving.md):
//   loupe detect FILE... [--key KEY]... [--min-confidence C] [--max-results N] [--version V]
// One JSON line per image; errors print "error: <Code>: <message>" on stderr and exit non-zero.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::detect {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterDetectCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::detect
