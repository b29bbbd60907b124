// Notifier's dead letters: deliveries that used up their attempts, listed with their message
// and subscription, and queued again on an operator's request.

#include <utility>

#include "notify/notifier.h"
#include "notify/notify_tables.h"

namespace loupe::notify {

Result<std::vector<DeadLetter>> Notifier::ListDeadLetters(int64_t after, int limit) const {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be 1..1000");
  std::vector<DeadLetter> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(
        auto rows,
        tx.Query("SELECT d.id, d.attempts, d.last_error, d.updated_ms, " +
                     std::string(kMessageColumns) + ", " + std::string(kSubscriptionColumns) +
                     " FROM notify_deliveries d"
                     " JOIN notify_messages m ON m.sequence = d.message_sequence"
                     " JOIN notify_subscriptions s ON s.id = d.subscription_id"
                     " WHERE d.state = ? AND d.id > ? ORDER BY d.id LIMIT ?",
                 {StateName(DeliveryState::kDead), after, int64_t{limit}}));
    for (const db::Row& row : rows) {
      DeadLetter d;
      d.id = row.Int(0);
      d.attempts = static_cast<int>(row.Int(1));
      d.last_error = row.Text(2);
      d.dead_at = FromUnixMillis(row.Int(3));
      ASSIGN_OR_RETURN(d.message, MessageFromRow(row, 4));
      ASSIGN_OR_RETURN(d.subscription, SubscriptionFromRow(row, 4 + kMessageColumnCount));
      out.push_back(std::move(d));
    }
    return Status::Ok();
  }));
  return out;
}

Status Notifier::Redeliver(int64_t dead_letter_id) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT s.removed_ms FROM notify_deliveries d JOIN "
                                           "notify_subscriptions s ON s.id = d.subscription_id "
                                           "WHERE d.id = ? AND d.state = ?",
                                           {dead_letter_id, StateName(DeliveryState::kDead)}));
    if (!row) return NotFoundError("no dead letter " + std::to_string(dead_letter_id));
    if (!row->IsNull(0)) {
      return FailedPreconditionError("the subscription of dead letter " +
                                     std::to_string(dead_letter_id) + " was removed");
    }
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(tx.Exec("UPDATE notify_deliveries SET state = ?, attempts = 0, "
                            "next_attempt_ms = ?, last_error = '', updated_ms = ? WHERE id = ?",
                            {StateName(DeliveryState::kPending), now, now, dead_letter_id})
                        .status());
    tx.OnCommit([this] { WakeWorkers(); });
    return Status::Ok();
  });
}

}  // namespace loupe::notify
