#pragma once
// The CLI's model subcommands, thin clients of the /v1/models routes (docs/serving.md):
//   loupe models ls | describe V | import DIR [--version V] | start V | stop V | deploy V |
//                rollback [V]
// Errors print "error: <Code>: <message>" on stderr and exit non-zero.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::models {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterModelCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::models
