// Registry of the backbones shipped with loupe (referenced by id from artifacts) and the
// search path for their weights.
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "ml/artifact.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

// $LOUPE_BACKBONE_DIR, the source checkout's assets/backbone/, then the installed share dirs.
Result<fs::path> FindBackboneFile(const std::string& file) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LOUPE_BACKBONE_DIR")) dirs.emplace_back(env);
#ifdef LOUPE_ASSET_DIR
  dirs.emplace_back(LOUPE_ASSET_DIR);
#endif
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "loupe" / "backbone");
  dirs.emplace_back("/usr/local/share/loupe/backbone");
  dirs.emplace_back("/usr/share/loupe/backbone");
  std::string tried;
  for (const fs::path& d : dirs) {
    if (fs::is_regular_file(d / file, ec)) return d / file;
    tried += " " + d.string();
  }
  return NotFoundError("backbone weights '" + file + "' not found in:" + tried +
                       " (set LOUPE_BACKBONE_DIR)");
}

// The shipped settings of the logo network, by id. An id's meaning never changes: artifacts
// name the id they were trained with.
struct BuiltinLogoBackbone {
  std::string_view id;
  std::string_view weights;
  LogoBackboneOptions options;
};

constexpr BuiltinLogoBackbone kBuiltins[] = {
    // As pre-trained: short side 320, plain objectness attention.
    {"logo_v1", "logo_v1.safetensors", {320, 448, 1.0}},
    // Same weights at 1.5x the resolution, attention sharpened to the most logo-like cells:
    // small logos cover more cells (docs/ml.md, "Choosing the default").
    {"logo_v1_480", "logo_v1.safetensors", {480, 672, 0.25}},
};

}  // namespace

std::string_view DefaultBackboneId() { return "logo_v1_480"; }

Result<std::unique_ptr<Backbone>> LoadBuiltinBackbone(std::string_view id) {
  for (const BuiltinLogoBackbone& b : kBuiltins) {
    if (b.id != id) continue;
    ASSIGN_OR_RETURN(fs::path weights, FindBackboneFile(std::string(b.weights)));
    return LoadLogoBackbone(weights, std::string(id), b.options);
  }
  return NotFoundError("unknown builtin backbone '" + std::string(id) + "'");
}

}  // namespace loupe::ml
