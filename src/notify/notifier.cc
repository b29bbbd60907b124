// Notifier's life cycle: options, schema, the delivery threads and their wake-ups. The other
// jobs live beside it: publish.cc, subscriptions.cc, feed.cc, dead_letters.cc,
// notify_metrics.cc, and the attempts themselves in delivery_worker.cc.

#include "notify/notifier.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "notify/delivery_worker.h"
#include "notify/notify_tables.h"
#include "notify/targets.h"

namespace loupe::notify {

Result<Protocol> ParseProtocol(std::string_view name) {
  if (std::optional<Protocol> protocol = kProtocolNames.Find(name)) return *protocol;
  return InvalidArgumentError("unknown protocol '" + std::string(name) + "' (" +
                              kProtocolNames.Joined("|") + ")");
}

Notifier::Notifier(db::Database& db, const Clock& clock, NotifierOptions options)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      transport_(options_.transport),
      deliveries_(std::make_unique<DeliveryWorker>(db_, clock_, options_, transport_)) {}

Notifier::~Notifier() { Stop(); }

Result<std::unique_ptr<Notifier>> Notifier::Open(db::Database& db, const Clock& clock,
                                                 NotifierOptions options) {
  if (options.max_attempts < 1 || options.workers < 1 || options.first_backoff <= Duration{0} ||
      options.max_backoff < options.first_backoff || options.claim <= Duration{0}) {
    return InvalidArgumentError(
        "notifier options: attempts, workers, back-off and claim must be "
        "positive");
  }
  const SmtpOptions& smtp = options.transport.smtp;
  if (!smtp.url.empty()) {
    if (smtp.url.rfind("smtp://", 0) != 0 && smtp.url.rfind("smtps://", 0) != 0) {
      return InvalidArgumentError("--smtp-url must start with smtp:// or smtps://");
    }
    if (Status s = ValidateEmailAddress(smtp.from); !s.ok()) {
      return InvalidArgumentError("--smtp-from: " + s.message());
    }
  }
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  RETURN_IF_ERROR(db.Migrate("notify", NotifyMigrations()));
  auto notifier = std::unique_ptr<Notifier>(new Notifier(db, clock, std::move(options)));
  ASSIGN_OR_RETURN(notifier->last_committed_, notifier->LastSequence());
  return notifier;
}

Result<int> Notifier::RunDueDeliveries() { return deliveries_->RunDue(); }

Status Notifier::Start() {
  if (!workers_.empty()) return FailedPreconditionError("notifier already started");
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return Status::Ok();
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void Notifier::WorkerLoop() {
  while (!stopping_) {
    uint64_t gen = 0;
    {
      std::lock_guard lock(mu_);
      gen = wake_gen_;
    }
    auto claimed = deliveries_->Claim(4);
    if (!claimed.ok()) {
      spdlog::warn("notify: claiming deliveries failed: {}", claimed.status().ToString());
    } else if (!claimed->empty()) {
      for (const ClaimedDelivery& c : *claimed) {
        if (Status s = deliveries_->Attempt(c, &stopping_); !s.ok()) {
          spdlog::warn("notify: recording delivery {} failed: {}", c.id, s.ToString());
        }
      }
      continue;
    }
    auto wait = claimed.ok() ? deliveries_->IdleWait() : options_.max_idle_wait;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_.load() || wake_gen_ != gen; });
  }
}

void Notifier::Committed(int64_t sequence) {
  {
    std::lock_guard lock(mu_);
    last_committed_ = std::max(last_committed_, sequence);
  }
  cv_.notify_all();
}

void Notifier::WakeWorkers() {
  {
    std::lock_guard lock(mu_);
    ++wake_gen_;
  }
  cv_.notify_all();
}

}  // namespace loupe::notify
