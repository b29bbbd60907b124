#include "events/http/event_routes.h"

#include <optional>

#include "server/page_params.h"

namespace loupe::events {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

json EventJson(const Event& e) {
  return {{"id", e.id.value()},
          {"kind", std::string(EventKindName(e.kind))},
          {"payload", e.payload},
          {"time", FormatRfc3339(e.time)}};
}

}  // namespace

void AddEventRoutes(server::Router& router, EventLog& log) {
  EventLog* events = &log;
  router.Add({"GET", "/v1/events", Role::kOperator,
              "Durable events after an id: ?after=&limit= (1..1000)&kind=.",
              [events](const HttpRequest& req) {
                auto page_params = server::ParsePageParams(req);
                if (!page_params.ok()) return HttpResponse::Error(page_params.status());
                std::optional<EventKind> kind;
                if (auto k = req.QueryParam("kind"); k && !k->empty()) {
                  auto parsed = ParseEventKind(*k);
                  if (!parsed.ok()) return HttpResponse::Error(parsed.status());
                  kind = *parsed;
                }
                auto page = events->List(EventId(page_params->after), page_params->limit, kind);
                if (!page.ok()) return HttpResponse::Error(page.status());
                json list = json::array();
                for (const auto& e : page->events) list.push_back(EventJson(e));
                return HttpResponse::Json(200, {{"events", list}, {"next", page->next.value()}});
              }});
}

}  // namespace loupe::events
