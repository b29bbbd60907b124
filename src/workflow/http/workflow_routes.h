#pragma once
// HTTP routes of the workflow engine: state machines (read-only; shipped with loupe) and
// executions (start, list, show, history, stop). Thin handlers over workflow::Engine.

#include "server/router.h"
#include "workflow/engine.h"

namespace loupe::workflow {

// JSON shapes shared by the routes (and their tests).
nlohmann::json ExecutionJson(const ExecutionInfo& e);
nlohmann::json HistoryEventJson(const HistoryEvent& e);

// `engine` must outlive the router.
void AddWorkflowRoutes(server::Router& router, Engine& engine);

}  // namespace loupe::workflow
