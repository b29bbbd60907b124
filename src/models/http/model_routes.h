#pragma once
// HTTP routes of the model registry and serving (docs/serving.md): list, describe, import,
// start, stop, deploy (blue/green) and rollback. Thin handlers over ModelService.

#include <nlohmann/json.hpp>

#include "models/model_service.h"
#include "server/router.h"
#include "store/object_store.h"

namespace loupe::models {

nlohmann::json VersionJson(const VersionInfo& v);

void AddModelRoutes(server::Router& router, ModelService& service);

// GET /v1/models/{v}/evaluation: the version's evaluation.json from its artifact in the store
// (per-label precision/recall/F1, assumed thresholds, confusion matrix), with "Version" added.
// 404 while the version has no artifact yet (training, failed).
void AddModelEvaluationRoute(server::Router& router, ModelService& service,
                             store::ObjectStore& store);

}  // namespace loupe::models
