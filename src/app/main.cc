// loupe: one binary, many roles. `loupe serve` runs the service; every other subcommand is a
// client of its HTTP API or an offline tool.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "app/serve.h"
#include "auth/cli/auth_commands.h"
#include "cli/client_options.h"
#include "detect/cli/detect_commands.h"
#include "events/cli/event_commands.h"
#include "ml/cli/ml_commands.h"
#include "models/cli/model_commands.h"
#include "notify/cli/notify_commands.h"
#include "params/cli/param_commands.h"
#include "review/cli/review_commands.h"
#include "store/cli/object_commands.h"
#include "training/cli/dataset_commands.h"
#include "workflow/cli/workflow_commands.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app("loupe — custom image labels that keep improving", "loupe");
  app.require_subcommand(1);
  app.set_version_flag("--version", "loupe 0.1.0");
  int exit_code = 0;
  loupe::app::ServeOptions serve_options;
  loupe::app::RegisterServeCommand(app, serve_options, &exit_code);
  loupe::cli::ClientOptions client_options;
  loupe::cli::RegisterClientOptions(app, client_options);
  loupe::params::RegisterParamCommands(app, client_options, &exit_code);
  loupe::store::RegisterObjectCommands(app, client_options, &exit_code);
  loupe::events::RegisterEventCommands(app, client_options, &exit_code);
  loupe::ml::RegisterMlCommands(app, &exit_code);
  loupe::workflow::RegisterWorkflowCommands(app, client_options, &exit_code);
  loupe::detect::RegisterDetectCommands(app, client_options, &exit_code);
  loupe::models::RegisterModelCommands(app, client_options, &exit_code);
  loupe::notify::RegisterNotifyCommands(app, client_options, &exit_code);
  loupe::review::RegisterReviewCommands(app, client_options, &exit_code);
  loupe::auth::RegisterAuthCommands(app, client_options, &exit_code);
  loupe::training::RegisterDatasetCommands(app, client_options, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // No exception leaves main: anything a dependency throws ends the command with a message.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fputs("error: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
  } catch (...) {
    std::fputs("error: unexpected exception\n", stderr);
  }
  return 1;
}
