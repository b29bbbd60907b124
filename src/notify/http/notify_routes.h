#pragma once
// HTTP routes of notifications (docs/notifications.md), all for operators: subscriptions
// (GET/POST /v1/subscriptions, DELETE /v1/subscriptions/{id}), the message feed
// (GET/POST /v1/notifications), dead letters and their redelivery, and the live feed as
// server-sent events (GET /v1/notifications/stream). Thin handlers over Notifier.

#include <chrono>
#include <nlohmann/json.hpp>

#include "notify/notifier.h"
#include "server/router.h"

namespace loupe::notify {

struct NotifyRouteOptions {
  // An SSE comment is sent when nothing else was for this long (keeps proxies from closing).
  std::chrono::milliseconds heartbeat{15000};
  // Longest wait for a new message inside one stream call (bounds shutdown latency).
  std::chrono::milliseconds poll{500};
  // Live streams open at once; more are refused with 429.
  int max_streams = 16;
};

// {"id","topic","protocol","endpoint","created_at","created_by"}; never the secret.
nlohmann::json SubscriptionJson(const Subscription& s);
// {"id","message","subscription","attempts","last_error","dead_at"}.
nlohmann::json DeadLetterJson(const DeadLetter& d);

// `notifier` must outlive the router.
void AddNotifyRoutes(server::Router& router, Notifier& notifier, NotifyRouteOptions options = {});

}  // namespace loupe::notify
