#pragma once
// The CLI's workflow subcommands (`loupe executions ls|show|history|start|stop`,
// `loupe state-machines ls|show`): thin clients of the workflow HTTP routes. Errors print
// "error: <Code>: <message>" on stderr and exit non-zero.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::workflow {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterWorkflowCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::workflow
