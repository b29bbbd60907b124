#pragma once
// The notify module's tables (internal to loupe_notify): the schema migrations of
// notify_subscriptions, notify_messages and notify_deliveries, and the column lists and row
// readers the queries share. Pure; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "db/database.h"
#include "notify/message.h"
#include "notify/notifier.h"

namespace loupe::notify {

// The stored name of `state` (kDeliveryStateNames in notifier.h), as a query parameter.
inline std::string StateName(DeliveryState state) { return std::string(DeliveryStateName(state)); }

// The schema of the "notify" migrations.
const std::vector<db::Migration>& NotifyMigrations();

// The columns MessageFromRow reads (7, alias m for notify_messages).
inline constexpr std::string_view kMessageColumns =
    "m.sequence, m.message_id, m.topic, m.type, m.subject, m.detail, m.time_ms";
inline constexpr size_t kMessageColumnCount = 7;
// The columns SubscriptionFromRow reads (6, alias s for notify_subscriptions).
inline constexpr std::string_view kSubscriptionColumns =
    "s.id, s.topic, s.protocol, s.endpoint, s.created_ms, s.created_by";

// A message from the kMessageColumns starting at column `at`; DataLoss for a corrupt detail.
Result<Message> MessageFromRow(const db::Row& row, size_t at);
// A subscription from the kSubscriptionColumns starting at column `at`.
Result<Subscription> SubscriptionFromRow(const db::Row& row, size_t at);

}  // namespace loupe::notify
