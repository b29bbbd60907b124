#pragma once
// HTTP routes of the workflow engine: state machines (read-only; shipped with loupe) and
// executions (start, list, show, history, stop). Thin handlers over workflow::Engine.

#include "server/router.h"
#include "workflow/engine.h"

namespace loupe::server {

// JSON shapes shared by the routes (and their tests).
nlohmann::json ExecutionJson(const workflow::ExecutionInfo& e);
nlohmann::json HistoryEventJson(const workflow::HistoryEvent& e);

void AddWorkflowRoutes(Router& router, workflow::Engine& engine);

}  // namespace loupe::server
