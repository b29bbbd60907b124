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

}  // namespace

std::string_view DefaultBackboneId() { return "logo_v1"; }

Result<std::unique_ptr<Backbone>> LoadBuiltinBackbone(std::string_view id) {
  if (id == "logo_v1") {
    ASSIGN_OR_RETURN(fs::path weights, FindBackboneFile("logo_v1.safetensors"));
    return LoadLogoBackbone(weights, std::string(id));
  }
  return NotFoundError("unknown builtin backbone '" + std::string(id) + "'");
}

}  // namespace loupe::ml
