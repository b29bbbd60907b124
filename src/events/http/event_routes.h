#pragma once
// HTTP route of the event log: GET /v1/events, durable events after an id, paged, optionally
// of one kind (operators). Thin handler over events::EventLog, which must outlive the router.

#include "events/event_log.h"
#include "server/router.h"

namespace loupe::events {

void AddEventRoutes(server::Router& router, EventLog& log);

}  // namespace loupe::events
