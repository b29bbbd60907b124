#pragma once
// `loupe dataset export --format F --out DIR` and `loupe dataset import --format F PATH`
// (docs/datasets.md): the dataset through the server's /v1/dataset/export and
// /v1/dataset/import; an import checks the whole input locally (each line, each file, each
// hash) before the first upload, stages the files under imports/<id>/ and lets the server
// check and file them in one request.

#include <CLI/CLI.hpp>

#include "cli/client_options.h"

namespace loupe::training {

void RegisterDatasetCommands(CLI::App& app, const cli::ClientOptions& options, int* exit_code);

}  // namespace loupe::training
