#pragma once
// The foundation's HTTP API routes: health, metrics, OpenAPI, parameters, objects, events.
// Handlers are thin: parse and validate the request, call the module, shape the JSON.

#include <functional>
#include <string>

#include "db/database.h"
#include "events/event_log.h"
#include "params/parameter_store.h"
#include "server/router.h"
#include "store/object_store.h"

namespace loupe::server {

struct ApiDeps {
  db::Database* db = nullptr;
  params::ParameterStore* params = nullptr;
  events::EventLog* events = nullptr;
  store::ObjectStore* store = nullptr;
  std::string version;
  std::function<std::string()> metrics_text;  // Prometheus text; may be empty
};

void AddHealthRoutes(Router& router, const ApiDeps& deps);
void AddParameterRoutes(Router& router, const ApiDeps& deps);
void AddObjectRoutes(Router& router, const ApiDeps& deps);
void AddEventRoutes(Router& router, const ApiDeps& deps);

// All of the above.
void AddFoundationRoutes(Router& router, const ApiDeps& deps);

}  // namespace loupe::server
