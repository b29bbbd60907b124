// Notifier's metrics: delivery counts by state and the Prometheus text of /metrics.

#include <optional>

#include "notify/notifier.h"
#include "notify/notify_tables.h"

namespace loupe::notify {

Result<DeliveryCounts> Notifier::CountDeliveries() const {
  DeliveryCounts counts;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT state, COUNT(*) FROM notify_deliveries "
                                         "GROUP BY state"));
    for (const db::Row& row : rows) {
      std::optional<DeliveryState> state = kDeliveryStateNames.Find(row.Text(0));
      if (state == DeliveryState::kPending) counts.pending = row.Int(1);
      if (state == DeliveryState::kDelivered) counts.delivered = row.Int(1);
      if (state == DeliveryState::kDead) counts.dead = row.Int(1);
    }
    return Status::Ok();
  }));
  return counts;
}

std::string Notifier::MetricsText() const {
  auto counts = CountDeliveries();
  auto last = LastSequence();
  if (!counts.ok() || !last.ok()) return "";
  auto gauge = [](DeliveryState state, int64_t value) {
    return "loupe_notify_deliveries{state=\"" + StateName(state) + "\"} " + std::to_string(value) +
           "\n";
  };
  return "# HELP loupe_notify_deliveries Notification deliveries by state.\n"
         "# TYPE loupe_notify_deliveries gauge\n" +
         gauge(DeliveryState::kPending, counts->pending) +
         gauge(DeliveryState::kDelivered, counts->delivered) +
         gauge(DeliveryState::kDead, counts->dead) +
         "# HELP loupe_notify_messages_total Notification messages published.\n"
         "# TYPE loupe_notify_messages_total counter\n"
         "loupe_notify_messages_total " +
         std::to_string(*last) + "\n";
}

}  // namespace loupe::notify
