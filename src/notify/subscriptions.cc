// Notifier's subscriptions: validated targets (webhook URL and secret, e-mail address), at
// most one live subscription per topic, protocol and endpoint; removal drops pending
// deliveries.

#include <utility>

#include "notify/notifier.h"
#include "notify/notify_tables.h"
#include "notify/targets.h"

namespace loupe::notify {
namespace {

constexpr int64_t kMaxSubscriptions = 1000;

}  // namespace

Result<Subscription> Notifier::Subscribe(const NewSubscription& request) {
  if (request.protocol == Protocol::kWebhook) {
    RETURN_IF_ERROR(ValidateWebhookUrl(request.endpoint));
    RETURN_IF_ERROR(ValidateWebhookSecret(request.secret));
  } else {
    RETURN_IF_ERROR(ValidateEmailAddress(request.endpoint));
    if (!request.secret.empty()) {
      return InvalidArgumentError("a secret applies to webhooks only");
    }
    if (!transport_.email_enabled()) {
      return FailedPreconditionError(
          "e-mail is not configured on this server (serve --smtp-url URL --smtp-from ADDR)");
    }
  }
  Subscription sub;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto count, tx.QueryOne("SELECT COUNT(*) FROM notify_subscriptions "
                                             "WHERE removed_ms IS NULL"));
    if (count->Int(0) >= kMaxSubscriptions) {
      return ResourceExhaustedError("at most 1000 subscriptions");
    }
    std::string topic(TopicName(request.topic));
    std::string protocol(ProtocolName(request.protocol));
    ASSIGN_OR_RETURN(auto dup, tx.QueryOne("SELECT id FROM notify_subscriptions WHERE topic = ? "
                                           "AND protocol = ? AND endpoint = ? AND "
                                           "removed_ms IS NULL",
                                           {topic, protocol, request.endpoint}));
    if (dup) {
      return AlreadyExistsError("subscription " + std::to_string(dup->Int(0)) + " already sends " +
                                topic + " to " + request.endpoint);
    }
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("INSERT INTO notify_subscriptions(topic, protocol, "
                                           "endpoint, secret, created_ms, created_by) VALUES "
                                           "(?, ?, ?, ?, ?, ?) RETURNING id",
                                           {topic, protocol, request.endpoint, request.secret, now,
                                            request.created_by}));
    sub = Subscription{row->Int(0),      request.topic,       request.protocol,
                       request.endpoint, FromUnixMillis(now), request.created_by};
    return Status::Ok();
  }));
  return sub;
}

Result<std::vector<Subscription>> Notifier::ListSubscriptions() const {
  std::vector<Subscription> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + std::string(kSubscriptionColumns) +
                                         " FROM notify_subscriptions s WHERE s.removed_ms IS "
                                         "NULL ORDER BY s.id"));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(Subscription s, SubscriptionFromRow(row, 0));
      out.push_back(std::move(s));
    }
    return Status::Ok();
  }));
  return out;
}

Status Notifier::Unsubscribe(int64_t id) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(int64_t changed,
                     tx.Exec("UPDATE notify_subscriptions SET removed_ms = ? WHERE id = ? AND "
                             "removed_ms IS NULL",
                             {now, id}));
    if (changed == 0) return NotFoundError("no subscription " + std::to_string(id));
    return tx
        .Exec(
            "UPDATE notify_deliveries SET state = ?, updated_ms = ? WHERE subscription_id = ? "
            "AND state = ?",
            {StateName(DeliveryState::kDropped), now, id, StateName(DeliveryState::kPending)})
        .status();
  });
}

}  // namespace loupe::notify
