#pragma once
// The CLI's notification subcommands, thin clients of the HTTP API (docs/notifications.md):
//   loupe subscriptions add --topic T (--webhook URL --secret S | --email ADDR) | ls | rm ID
//   loupe notifications ls [--topic T] [--after N] [--limit N] | publish --topic T --type X
//                       --subject S [--detail JSON] [--id ID] | dead-letters | redeliver ID
// Errors print "error: <Code>: <message>" on stderr and exit non-zero.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::notify {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterNotifyCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::notify
