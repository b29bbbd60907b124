#pragma once
// HTTP routes of the model registry and serving (docs/serving.md): list, describe, import,
// start, stop, deploy (blue/green) and rollback. Thin handlers over models::ModelService.
// Lives in src/models/http/ until the server library links loupe_models.

#include <nlohmann/json.hpp>

#include "models/model_service.h"
#include "server/router.h"
#include "store/object_store.h"

namespace loupe::server {

nlohmann::json VersionJson(const models::VersionInfo& v);

void AddModelRoutes(Router& router, models::ModelService& service);

// GET /v1/models/{v}/evaluation: the version's evaluation.json from its artifact in the store
// (per-label precision/recall/F1, assumed thresholds, confusion matrix), with "Version" added.
// 404 while the version has no artifact yet (training, failed).
void AddModelEvaluationRoute(Router& router, models::ModelService& service,
                             store::ObjectStore& store);

}  // namespace loupe::server
