#pragma once
// The service's own routes, which belong to no module: GET /v1/openapi.json (the route table as
// an OpenAPI 3 document), GET /healthz (liveness and the health check the app passes in) and
// GET /metrics (the Prometheus text the app assembles). Thread-safe when the callbacks are.

#include <functional>
#include <string>

#include "core/status.h"
#include "server/router.h"

namespace loupe::server {

struct ServiceRouteOptions {
  std::string version;  // reported by /healthz
  // What /healthz checks (e.g. the database); a failure answers 503 Unavailable with its
  // message. Empty = always healthy.
  std::function<Status()> health;
  std::function<std::string()> metrics_text;  // Prometheus text; may be empty
};

// `router` must outlive the server: the OpenAPI route reads it on every request.
void AddServiceRoutes(Router& router, ServiceRouteOptions options);

}  // namespace loupe::server
