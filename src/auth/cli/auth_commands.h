#pragma once
// The CLI's account subcommands (`loupe users add|ls|show|set|passwd|rm`, `loupe tokens
// create|ls|revoke`): thin clients of the admin routes /v1/users and /v1/tokens. They
// authenticate with the global --token / $LOUPE_TOKEN. New passwords come from --password,
// $LOUPE_NEW_PASSWORD, or a prompt (without echo on a terminal, else one line of stdin).

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::auth {

// REQUIRES: cli::RegisterClientOptions(app, options) added --server/--token/--json.
void RegisterAuthCommands(CLI::App& app, cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::auth
