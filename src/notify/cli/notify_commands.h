#pragma once
// The CLI's notification subcommands, thin clients of the HTTP API (docs/notifications.md):
//   loupe subscriptions add --topic T (--webhook URL --secret S | --email ADDR) | ls | rm ID
//   loupe notifications ls [--topic T] [--after N] [--limit N] | publish --topic T --type X
//                       --subject S [--detail JSON] [--id ID] | dead-letters | redeliver ID
// Errors print "error: <Code>: <message>" on stderr and exit non-zero.
// Lives in src/notify/cli/ so the cli library need not know notify.

#include <CLI/CLI.hpp>

#include "cli/client_commands.h"

namespace loupe::cli {

// REQUIRES: RegisterClientCommands(app, options, ...) adds the global --server/--token/--json.
void RegisterNotifyCommands(CLI::App& app, ClientOptions& options, int* exit_code);

}  // namespace loupe::cli
