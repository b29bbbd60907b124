#include "notify/delivery_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "notify/notify_tables.h"

namespace loupe::notify {

Result<std::vector<ClaimedDelivery>> DeliveryWorker::Claim(int limit) {
  std::vector<ClaimedDelivery> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    out.clear();
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT d.id, d.attempts, " + std::string(kMessageColumns) +
                                  ", s.id, s.protocol, s.endpoint, s.secret"
                                  " FROM notify_deliveries d"
                                  " JOIN notify_messages m ON m.sequence = d.message_sequence"
                                  " JOIN notify_subscriptions s ON s.id = d.subscription_id"
                                  " WHERE d.state = ? AND d.next_attempt_ms <= ?"
                                  " ORDER BY d.next_attempt_ms, d.id LIMIT ?",
                              {StateName(DeliveryState::kPending), now, int64_t{limit}}));
    // The batch is sent one after another: the lease covers every attempt's time-out.
    auto attempt_time = options_.transport.connect_timeout + options_.transport.total_timeout;
    int64_t lease_end = ToUnixMillis(clock_.Now() + options_.claim +
                                     std::chrono::duration_cast<Duration>(attempt_time * limit));
    constexpr size_t kSub = 2 + kMessageColumnCount;  // the first subscription column
    for (const db::Row& row : rows) {
      ClaimedDelivery c;
      c.id = row.Int(0);
      c.attempts = static_cast<int>(row.Int(1));
      ASSIGN_OR_RETURN(c.message, MessageFromRow(row, 2));
      c.subscription_id = row.Int(kSub);
      ASSIGN_OR_RETURN(c.protocol, ParseProtocol(row.Text(kSub + 1)));
      c.endpoint = row.Text(kSub + 2);
      c.secret = row.Text(kSub + 3);
      RETURN_IF_ERROR(tx.Exec("UPDATE notify_deliveries SET next_attempt_ms = ? WHERE id = ?",
                              {lease_end, c.id})
                          .status());
      out.push_back(std::move(c));
    }
    return Status::Ok();
  }));
  return out;
}

Duration DeliveryWorker::Backoff(int attempts) const {
  Duration d = options_.first_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

Status DeliveryWorker::Attempt(const ClaimedDelivery& c, const std::atomic<bool>* cancel) {
  Status sent;
  if (c.protocol == Protocol::kWebhook) {
    sent = transport_.PostWebhook(
        {c.endpoint, c.secret, c.message.id, MessageJson(c.message).dump(), clock_.Now()}, cancel);
  } else {
    sent =
        transport_.SendEmail({c.endpoint, BuildEmail(c.message, transport_.options().smtp.from,
                                                     c.endpoint, c.subscription_id, clock_.Now())},
                             cancel);
  }
  int64_t now = ToUnixMillis(clock_.Now());
  std::string pending = StateName(DeliveryState::kPending);
  if (sent.code() == StatusCode::kCancelled) {
    // Shutting down: the attempt does not count; due again at once after a restart.
    return db_.Write([&](db::Transaction& tx) -> Status {
      return tx
          .Exec(
              "UPDATE notify_deliveries SET next_attempt_ms = ? WHERE id = ? AND state = ? "
              "AND attempts = ?",
              {now, c.id, pending, int64_t{c.attempts}})
          .status();
    });
  }
  int attempts = c.attempts + 1;
  DeliveryState state = DeliveryState::kPending;
  int64_t next = now;
  if (sent.ok()) {
    state = DeliveryState::kDelivered;
  } else if (attempts >= options_.max_attempts) {
    state = DeliveryState::kDead;
    spdlog::warn("notify: delivery {} of message {} to {} failed {} times, dead letter: {}", c.id,
                 c.message.id, c.endpoint, attempts, sent.message());
  } else {
    next = ToUnixMillis(FromUnixMillis(now) + Backoff(attempts));
  }
  return db_.Write([&](db::Transaction& tx) -> Status {
    return tx
        .Exec(
            "UPDATE notify_deliveries SET state = ?, attempts = ?, next_attempt_ms = ?, "
            "last_error = ?, updated_ms = ? WHERE id = ? AND state = ? AND attempts = ?",
            {StateName(state), int64_t{attempts}, next, sent.ok() ? std::string() : sent.message(),
             now, c.id, pending, int64_t{c.attempts}})
        .status();
  });
}

Result<int> DeliveryWorker::RunDue() {
  int attempts = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<ClaimedDelivery> claimed, Claim(16));
    if (claimed.empty()) return attempts;
    for (const ClaimedDelivery& c : claimed) {
      RETURN_IF_ERROR(Attempt(c, nullptr));
      ++attempts;
    }
  }
}

std::chrono::milliseconds DeliveryWorker::IdleWait() const {
  std::optional<int64_t> next;
  Status s = db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT MIN(next_attempt_ms) FROM notify_deliveries "
                                           "WHERE state = ?",
                                           {StateName(DeliveryState::kPending)}));
    next = row->OptInt(0);
    return Status::Ok();
  });
  if (!s.ok() || !next) return options_.max_idle_wait;
  auto until = std::chrono::milliseconds(*next - ToUnixMillis(clock_.Now()));
  return std::clamp(until, std::chrono::milliseconds(1), options_.max_idle_wait);
}

}  // namespace loupe::notify
