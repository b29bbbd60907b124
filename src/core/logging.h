#pragma once
// Process-wide logging set-up (spdlog). Call once from main() before other threads start.
// Modules log through spdlog's default logger (spdlog::info etc.), which is thread-safe.

#include <string_view>

#include "core/status.h"

namespace loupe {

// level: trace|debug|info|warn|error|off. Logs go to stderr.
Status InitLogging(std::string_view level);

}  // namespace loupe
