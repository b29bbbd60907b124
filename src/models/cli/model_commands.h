#pragma once
// The CLI's serving subcommands, thin clients of the HTTP API (docs/serving.md):
//   loupe detect FILE... [--key KEY]... [--min-confidence C] [--max-results N] [--version V]
//   loupe models ls | describe V | import DIR [--version V] | start V | stop V | deploy V |
//                rollback [V]
// Errors print "error: <Code>: <message>" on stderr and exit non-zero.
// Lives in src/models/cli/ until the cli library is wired to it.

#include <CLI/CLI.hpp>

#include "cli/client_commands.h"

namespace loupe::cli {

// REQUIRES: RegisterClientCommands(app, options, ...) adds the global --server/--token/--json.
void RegisterModelCommands(CLI::App& app, ClientOptions& options, int* exit_code);

}  // namespace loupe::cli
