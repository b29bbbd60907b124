#include "server/service_routes.h"

#include <utility>

namespace loupe::server {

void AddServiceRoutes(Router& router, ServiceRouteOptions options) {
  router.Add({"GET", "/v1/openapi.json", Role::kPublic, "This API's OpenAPI 3 document.",
              [&router](const HttpRequest&) { return HttpResponse::Json(200, router.OpenApi()); }});
  router.Add({"GET", "/healthz", Role::kPublic, "Liveness and database health.",
              [version = options.version, health = options.health](const HttpRequest&) {
                if (health) {
                  if (Status s = health(); !s.ok()) {
                    return HttpResponse::Error(UnavailableError(s.message()));
                  }
                }
                return HttpResponse::Json(200, {{"status", "ok"}, {"version", version}});
              }});
  router.Add({"GET", "/metrics", Role::kOperator,
              "Prometheus metrics (text format; scrape with an operator token).",
              [metrics_text = std::move(options.metrics_text)](const HttpRequest&) {
                HttpResponse r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = metrics_text ? metrics_text() : "";
                return r;
              }});
}

}  // namespace loupe::server
