#pragma once
// The offline ML subcommands of the `loupe` binary, sharing src/ml/ with the server:
//   loupe train   --dataset DIR --out MODEL [--seed N] [--backbone MODEL.pt] [--previous MODEL]
//   loupe eval    --model MODEL --dataset DIR [--min-confidence C]
//   loupe predict --model MODEL [--min-confidence C] [--max-results N] IMG...
// Each subcommand's callback runs it; on failure the callback throws CLI::RuntimeError(code)
// (1 = the command failed, 2 = bad input), which CLI11_PARSE / App::exit turn into the
// process exit code. Results go to stdout, progress and errors to stderr.

namespace CLI {
class App;
}

namespace loupe::cli {

void RegisterMlCommands(CLI::App& app);

}  // namespace loupe::cli
