#pragma once
// ReadFile: the whole contents of a local file, for every module that reads one (artifacts,
// backbones, datasets on disk, the web console, CLI uploads). Stateless; thread-safe.

#include <filesystem>
#include <string>

#include "core/result.h"

namespace loupe {

// The bytes of `path`. NotFound "cannot read <path>: no such file" when nothing is there;
// Unavailable "cannot read <path>: <reason>" when something is but cannot be read (a
// directory, no permission, an I/O error).
Result<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace loupe
