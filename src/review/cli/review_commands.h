#pragma once
// The CLI's human-review subcommands (`loupe loops ls [--status S]`, `loupe loops show NAME`):
// thin clients of the /v1/human-loops routes. Errors print "error: <Code>: <message>" on
// stderr and exit non-zero.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::review {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterReviewCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::review
