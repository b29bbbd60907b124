#pragma once
// The offline ML subcommands of the `loupe` binary, sharing src/ml/ with the server:
//   loupe train   --dataset DIR --out MODEL [--seed N] [--backbone MODEL.pt] [--previous MODEL]
//   loupe eval    --model MODEL --dataset DIR [--min-confidence C]
//   loupe predict --model MODEL [--min-confidence C] [--max-results N] IMG...
// Each subcommand's callback runs it and stores its exit code in `*exit_code` (0 = ok, 1 = the
// command failed, 2 = bad input or missing file), like the client commands. Results go to
// stdout, progress and errors ("error: <Code>: <message>") to stderr.

namespace CLI {
class App;
}

namespace loupe::ml {

void RegisterMlCommands(CLI::App& app, int* exit_code);

}  // namespace loupe::ml
