#pragma once
// DeliveryWorker: the delivery half of the Notifier (internal to loupe_notify). Claims due
// delivery rows with a lease (`next_attempt_ms` moves past the batch's attempt time-outs), sends
// one attempt each over the Transport and records the outcome: delivered, a retry after an
// exponentially growing back-off, or a dead letter after the last attempt. The Notifier's
// threads (or a test, with a FakeClock) call it; it owns no thread. Thread-safe: every claim
// and outcome is one transaction, guarded by the row's state and attempt count.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "notify/message.h"
#include "notify/notifier.h"
#include "notify/transport.h"

namespace loupe::notify {

// A delivery claimed for one attempt, with what sending it needs.
struct ClaimedDelivery {
  int64_t id = 0;
  int attempts = 0;  // made before this one
  Message message;
  int64_t subscription_id = 0;
  Protocol protocol = Protocol::kWebhook;
  std::string endpoint;
  std::string secret;
};

class DeliveryWorker final {
 public:
  // `db`, `clock`, `options` and `transport` must outlive it.
  DeliveryWorker(db::Database& db, const Clock& clock, const NotifierOptions& options,
                 Transport& transport)
      : db_(db), clock_(clock), options_(options), transport_(transport) {}

  // Claims up to `limit` due deliveries (a lease of options.claim plus the attempts' time-outs).
  [[nodiscard]] Result<std::vector<ClaimedDelivery>> Claim(int limit);
  // Sends one attempt and records its outcome. `cancel` (may be null) aborts it at shutdown;
  // a cancelled attempt does not count and is due again at once.
  [[nodiscard]] Status Attempt(const ClaimedDelivery& claimed, const std::atomic<bool>* cancel);
  // Attempts every delivery due now on the calling thread, until none is due. Returns the
  // number of attempts made.
  [[nodiscard]] Result<int> RunDue();
  // Real time until the next pending delivery is due, in [1 ms, options.max_idle_wait].
  std::chrono::milliseconds IdleWait() const;

 private:
  // The delay before retry `attempts` (1, 2, ...): first_backoff * 2^(attempts-1), capped.
  Duration Backoff(int attempts) const;

  db::Database& db_;
  const Clock& clock_;
  const NotifierOptions& options_;
  Transport& transport_;
};

}  // namespace loupe::notify
