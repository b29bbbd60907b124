// Registry of the backbones shipped with loupe (referenced by id from artifacts).
#include "ml/artifact.h"

namespace loupe::ml {

std::string_view DefaultBackboneId() { return "logo_v1"; }

Result<std::unique_ptr<Backbone>> LoadBuiltinBackbone(std::string_view id) {
  return NotFoundError("builtin backbone '" + std::string(id) +
                       "' is not available in this build (bring a TorchScript backbone with "
                       "--backbone)");
}

}  // namespace loupe::ml
