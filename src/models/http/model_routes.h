#pragma once
// HTTP routes of the model registry and serving (docs/serving.md): list, describe, import,
// start, stop, deploy (blue/green) and rollback. Thin handlers over models::ModelService.
// Lives in src/models/http/ until the server library links loupe_models.

#include <nlohmann/json.hpp>

#include "models/model_service.h"
#include "server/router.h"

namespace loupe::server {

nlohmann::json VersionJson(const models::VersionInfo& v);

void AddModelRoutes(Router& router, models::ModelService& service);

}  // namespace loupe::server
