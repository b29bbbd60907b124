#pragma once
// Notifier: topics, subscriptions and at-least-once delivery (docs/notifications.md).
// Publish stores a message and one delivery row per current subscription of its topic in one
// transaction (the caller's, if given), so a message exists iff the change it announces was
// committed, and a crash after the commit still delivers after a restart. Delivery workers
// claim due rows (the claim is a lease: `next_attempt_ms` moves past the attempt's timeout),
// send one attempt, and record the outcome: delivered, a retry at an exponentially growing
// delay, or — after the last attempt — a dead letter that an operator may redeliver. All
// times come from the injected Clock. Thread-safe. Owns its worker threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/result.h"
#include "db/database.h"
#include "notify/message.h"
#include "notify/transport.h"

namespace loupe::notify {

class DeliveryWorker;

struct NotifierOptions {
  TransportOptions transport;
  int workers = 2;
  int max_attempts = 8;
  // Delay before retry n (n = 1, 2, ...): first_backoff * 2^(n-1), at most max_backoff.
  Duration first_backoff = std::chrono::seconds(5);
  Duration max_backoff = std::chrono::minutes(10);
  // How long a claimed delivery stays invisible to other workers, on top of the attempt
  // time-outs of the batch it was claimed with.
  Duration claim = std::chrono::seconds(60);
  // Longest idle wait of a worker before it looks at the database again (real time).
  std::chrono::milliseconds max_idle_wait{2000};
};

enum class Protocol { kWebhook, kEmail };

// The one string table of Protocol; stored subscriptions' protocols go through it.
inline constexpr EnumTable<Protocol, 2> kProtocolNames{
    {{{Protocol::kWebhook, "webhook"}, {Protocol::kEmail, "email"}}}};

inline std::string_view ProtocolName(Protocol protocol) { return kProtocolNames.Name(protocol); }
// "webhook" | "email"; InvalidArgument otherwise.
Result<Protocol> ParseProtocol(std::string_view name);

// Where a delivery stands (stored in notify_deliveries.state, shown by the API).
enum class DeliveryState {
  kPending,    // due at its next attempt time (or claimed until then)
  kDelivered,  // an attempt succeeded
  kDead,       // used up its attempts: a dead letter
  kDropped,    // its subscription was removed
};

// The one string table of DeliveryState; stored states go through it.
inline constexpr EnumTable<DeliveryState, 4> kDeliveryStateNames{
    {{{DeliveryState::kPending, "pending"},
      {DeliveryState::kDelivered, "delivered"},
      {DeliveryState::kDead, "dead"},
      {DeliveryState::kDropped, "dropped"}}}};

inline std::string_view DeliveryStateName(DeliveryState state) {
  return kDeliveryStateNames.Name(state);
}

struct NewSubscription {
  Topic topic = Topic::kOperator;
  Protocol protocol = Protocol::kWebhook;
  std::string endpoint;  // webhook URL or e-mail address
  std::string secret;    // webhooks only; required
  std::string created_by;
};

// A subscription as the API shows it: the secret is never part of it.
struct Subscription {
  int64_t id = 0;
  Topic topic = Topic::kOperator;
  Protocol protocol = Protocol::kWebhook;
  std::string endpoint;
  TimePoint created_at;
  std::string created_by;
};

struct PublishResult {
  Message message;
  bool created = false;  // false: a message with this id existed; nothing new was queued
  int deliveries = 0;    // delivery rows queued by this call
};

struct MessagePage {
  std::vector<Message> messages;  // ascending by sequence
  int64_t next = 0;               // pass as `after` to read on
};

// A delivery that used up its attempts.
struct DeadLetter {
  int64_t id = 0;  // the delivery id; redeliver by it
  Message message;
  Subscription subscription;
  int attempts = 0;
  std::string last_error;
  TimePoint dead_at;
};

struct DeliveryCounts {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t dead = 0;
};

class Notifier {
 public:
  // Creates its tables if needed. `db` and `clock` must outlive it.
  static Result<std::unique_ptr<Notifier>> Open(db::Database& db, const Clock& clock,
                                                NotifierOptions options = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Stores the message and queues its deliveries; idempotent by request.message_id (the same
  // id returns the stored message with created=false, whatever the other fields say).
  [[nodiscard]] Result<PublishResult> Publish(const PublishRequest& request);
  // Same, inside the caller's transaction; workers and streams wake when it commits.
  [[nodiscard]] Result<PublishResult> Publish(db::Transaction& tx, const PublishRequest& request);
  [[nodiscard]] Result<PublishResult> Publish(Topic topic, std::string type, std::string subject,
                                              nlohmann::json detail = nlohmann::json::object());

  // Validates the target (URL rules, address, secret; e-mail only when SMTP is configured).
  [[nodiscard]] Result<Subscription> Subscribe(const NewSubscription& request);
  [[nodiscard]] Result<std::vector<Subscription>> ListSubscriptions() const;
  // Removes a subscription; its pending deliveries are dropped (dead letters stay).
  [[nodiscard]] Status Unsubscribe(int64_t id);

  // Messages with sequence > after, oldest first; topic filter optional; limit 1..1000.
  [[nodiscard]] Result<MessagePage> ListMessages(int64_t after, int limit,
                                                 std::optional<Topic> topic = std::nullopt) const;
  // The newest message's sequence (0 if none).
  [[nodiscard]] Result<int64_t> LastSequence() const;
  // Blocks until a message with sequence > after is committed, Stop() is called, or `timeout`
  // passes (real time; for streams). Returns true if a newer message may be there.
  bool WaitForNewer(int64_t after, std::chrono::milliseconds timeout) const;

  // Dead letters with id > after, oldest first; limit 1..1000.
  [[nodiscard]] Result<std::vector<DeadLetter>> ListDeadLetters(int64_t after, int limit) const;
  // Queues a dead letter again with a fresh set of attempts, due now. NotFound if `id` is not
  // a dead letter; FailedPrecondition if its subscription was removed.
  [[nodiscard]] Status Redeliver(int64_t dead_letter_id);

  [[nodiscard]] Result<DeliveryCounts> CountDeliveries() const;
  // Prometheus text lines (loupe_notify_deliveries{state=...}, loupe_notify_messages_total).
  std::string MetricsText() const;

  // Starts the delivery workers; Stop() ends them and wakes every WaitForNewer (also done by
  // the destructor). In tests, skip Start() and call RunDueDeliveries() with a FakeClock.
  [[nodiscard]] Status Start();
  void Stop();
  bool stopping() const { return stopping_.load(); }
  // Attempts every delivery due now on the calling thread, until none is due. Returns the
  // number of attempts made.
  [[nodiscard]] Result<int> RunDueDeliveries();

 private:
  Notifier(db::Database& db, const Clock& clock, NotifierOptions options);
  // One delivery thread: attempts what is due, then waits for a wake-up or the next due time.
  void WorkerLoop();
  void Committed(int64_t sequence);
  void WakeWorkers();

  db::Database& db_;
  const Clock& clock_;
  NotifierOptions options_;
  Transport transport_;
  std::unique_ptr<DeliveryWorker> deliveries_;  // claims, attempts and records deliveries

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // new messages, wake-ups, stop
  int64_t last_committed_ = 0;          // guarded by mu_
  uint64_t wake_gen_ = 0;               // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace loupe::notify
