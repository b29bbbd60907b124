#include "notify/notifier.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "notify/targets.h"

namespace loupe::notify {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Protocol, std::string_view>, 2> kProtocolNames = {{
    {Protocol::kWebhook, "webhook"},
    {Protocol::kEmail, "email"},
}};

// Delivery states, as stored.
constexpr std::string_view kPending = "pending";
constexpr std::string_view kDelivered = "delivered";
constexpr std::string_view kDead = "dead";
constexpr std::string_view kDropped = "dropped";  // its subscription was removed

constexpr int64_t kMaxSubscriptions = 1000;

const std::vector<db::Migration> kMigrations = {
    {1, "topics, subscriptions, messages, deliveries",
     "CREATE TABLE notify_subscriptions ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " topic TEXT NOT NULL,"
     " protocol TEXT NOT NULL,"
     " endpoint TEXT NOT NULL,"
     " secret TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " created_by TEXT NOT NULL,"
     " removed_ms INTEGER);"
     "CREATE INDEX notify_subscriptions_by_topic ON notify_subscriptions(topic, removed_ms);"
     "CREATE TABLE notify_messages ("
     " sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
     " message_id TEXT NOT NULL UNIQUE,"
     " topic TEXT NOT NULL,"
     " type TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " detail TEXT NOT NULL,"
     " time_ms INTEGER NOT NULL);"
     "CREATE INDEX notify_messages_by_topic ON notify_messages(topic, sequence);"
     "CREATE TABLE notify_deliveries ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " message_sequence INTEGER NOT NULL REFERENCES notify_messages(sequence),"
     " subscription_id INTEGER NOT NULL REFERENCES notify_subscriptions(id),"
     " state TEXT NOT NULL,"
     " attempts INTEGER NOT NULL,"
     " next_attempt_ms INTEGER NOT NULL,"
     " last_error TEXT NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " UNIQUE (message_sequence, subscription_id));"
     "CREATE INDEX notify_deliveries_due ON notify_deliveries(state, next_attempt_ms);"},
};

constexpr std::string_view kMessageColumns =
    "m.sequence, m.message_id, m.topic, m.type, m.subject, m.detail, m.time_ms";
constexpr std::string_view kSubscriptionColumns =
    "s.id, s.topic, s.protocol, s.endpoint, s.created_ms, s.created_by";

// A message from 7 columns starting at `at` (kMessageColumns order).
Result<Message> MessageFromRow(const db::Row& row, size_t at) {
  Message m;
  m.sequence = row.Int(at);
  m.id = row.Text(at + 1);
  ASSIGN_OR_RETURN(m.topic, ParseTopic(row.Text(at + 2)));
  m.type = row.Text(at + 3);
  m.subject = row.Text(at + 4);
  m.detail = json::parse(row.Text(at + 5), nullptr, /*allow_exceptions=*/false);
  if (m.detail.is_discarded()) {
    return DataLossError("message " + std::to_string(m.sequence) + " has a corrupt detail");
  }
  m.time = FromUnixMillis(row.Int(at + 6));
  return m;
}

// A subscription from 6 columns starting at `at` (kSubscriptionColumns order).
Result<Subscription> SubscriptionFromRow(const db::Row& row, size_t at) {
  Subscription s;
  s.id = row.Int(at);
  ASSIGN_OR_RETURN(s.topic, ParseTopic(row.Text(at + 1)));
  ASSIGN_OR_RETURN(s.protocol, ParseProtocol(row.Text(at + 2)));
  s.endpoint = row.Text(at + 3);
  s.created_at = FromUnixMillis(row.Int(at + 4));
  s.created_by = row.Text(at + 5);
  return s;
}

std::string RandomMessageId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data(), 32);
}

std::string Str(std::string_view s) { return std::string(s); }

}  // namespace

std::string_view ProtocolName(Protocol protocol) {
  for (const auto& [p, name] : kProtocolNames) {
    if (p == protocol) return name;
  }
  return "unknown";
}

Result<Protocol> ParseProtocol(std::string_view name) {
  for (const auto& [p, n] : kProtocolNames) {
    if (n == name) return p;
  }
  return InvalidArgumentError("unknown protocol '" + std::string(name) + "' (webhook|email)");
}

// A delivery claimed for one attempt, with what sending it needs.
struct Notifier::Claimed {
  int64_t id = 0;
  int attempts = 0;  // made before this one
  Message message;
  int64_t subscription_id = 0;
  Protocol protocol = Protocol::kWebhook;
  std::string endpoint;
  std::string secret;
};

Notifier::Notifier(db::Database& db, const Clock& clock, NotifierOptions options)
    : db_(db), clock_(clock), options_(std::move(options)), transport_(options_.transport) {}

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
  RETURN_IF_ERROR(db.Migrate("notify", kMigrations));
  auto notifier = std::unique_ptr<Notifier>(new Notifier(db, clock, std::move(options)));
  ASSIGN_OR_RETURN(notifier->last_committed_, notifier->LastSequence());
  return notifier;
}

Result<PublishResult> Notifier::Publish(const PublishRequest& request) {
  PublishResult result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(result, Publish(tx, request));
    return Status::Ok();
  }));
  return result;
}

Result<PublishResult> Notifier::Publish(Topic topic, std::string type, std::string subject,
                                        json detail) {
  PublishRequest request;
  request.topic = topic;
  request.type = std::move(type);
  request.subject = std::move(subject);
  request.detail = std::move(detail);
  return Publish(request);
}

Result<PublishResult> Notifier::Publish(db::Transaction& tx, const PublishRequest& request) {
  RETURN_IF_ERROR(ValidatePublishRequest(request));
  PublishResult result;
  std::string id = request.message_id.empty() ? RandomMessageId() : request.message_id;
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT " + Str(kMessageColumns) +
                                                  " FROM notify_messages m WHERE m.message_id = ?",
                                              {id}));
  if (existing) {
    ASSIGN_OR_RETURN(result.message, MessageFromRow(*existing, 0));
    return result;
  }
  int64_t now = ToUnixMillis(clock_.Now());
  std::string topic = Str(TopicName(request.topic));
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("INSERT INTO notify_messages(message_id, topic, type, "
                                         "subject, detail, time_ms) VALUES (?, ?, ?, ?, ?, ?) "
                                         "RETURNING sequence",
                                         {id, topic, request.type, request.subject,
                                          request.detail.dump(), now}));
  int64_t sequence = row->Int(0);
  ASSIGN_OR_RETURN(int64_t queued,
                   tx.Exec("INSERT INTO notify_deliveries(message_sequence, subscription_id, "
                           "state, attempts, next_attempt_ms, last_error, updated_ms) "
                           "SELECT ?, id, ?, 0, ?, '', ? FROM notify_subscriptions "
                           "WHERE topic = ? AND removed_ms IS NULL",
                           {sequence, Str(kPending), now, now, topic}));
  result.created = true;
  result.deliveries = static_cast<int>(queued);
  result.message =
      Message{sequence,           id, request.topic, request.type, request.subject, request.detail,
              FromUnixMillis(now)};
  tx.OnCommit([this, sequence, queued] {
    Committed(sequence);
    if (queued > 0) WakeWorkers();
  });
  return result;
}

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
    std::string topic = Str(TopicName(request.topic));
    std::string protocol = Str(ProtocolName(request.protocol));
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
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT " + Str(kSubscriptionColumns) +
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
            {Str(kDropped), now, id, Str(kPending)})
        .status();
  });
}

Result<MessagePage> Notifier::ListMessages(int64_t after, int limit,
                                           std::optional<Topic> topic) const {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be 1..1000");
  MessagePage page;
  page.next = after;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    db::Rows rows;
    std::string select = "SELECT " + Str(kMessageColumns) + " FROM notify_messages m ";
    if (topic) {
      ASSIGN_OR_RETURN(rows, tx.Query(select + "WHERE m.topic = ? AND m.sequence > ? "
                                               "ORDER BY m.sequence LIMIT ?",
                                      {Str(TopicName(*topic)), after, int64_t{limit}}));
    } else {
      ASSIGN_OR_RETURN(rows, tx.Query(select + "WHERE m.sequence > ? ORDER BY m.sequence LIMIT ?",
                                      {after, int64_t{limit}}));
    }
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(Message m, MessageFromRow(row, 0));
      page.next = m.sequence;
      page.messages.push_back(std::move(m));
    }
    return Status::Ok();
  }));
  return page;
}

Result<int64_t> Notifier::LastSequence() const {
  int64_t last = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COALESCE(MAX(sequence), 0) FROM "
                                           "notify_messages"));
    last = row->Int(0);
    return Status::Ok();
  }));
  return last;
}

bool Notifier::WaitForNewer(int64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return last_committed_ > after || stopping_.load(); });
  return last_committed_ > after;
}

Result<std::vector<DeadLetter>> Notifier::ListDeadLetters(int64_t after, int limit) const {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be 1..1000");
  std::vector<DeadLetter> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT d.id, d.attempts, d.last_error, d.updated_ms, " +
                                  Str(kMessageColumns) + ", " + Str(kSubscriptionColumns) +
                                  " FROM notify_deliveries d"
                                  " JOIN notify_messages m ON m.sequence = d.message_sequence"
                                  " JOIN notify_subscriptions s ON s.id = d.subscription_id"
                                  " WHERE d.state = ? AND d.id > ? ORDER BY d.id LIMIT ?",
                              {Str(kDead), after, int64_t{limit}}));
    for (const db::Row& row : rows) {
      DeadLetter d;
      d.id = row.Int(0);
      d.attempts = static_cast<int>(row.Int(1));
      d.last_error = row.Text(2);
      d.dead_at = FromUnixMillis(row.Int(3));
      ASSIGN_OR_RETURN(d.message, MessageFromRow(row, 4));
      ASSIGN_OR_RETURN(d.subscription, SubscriptionFromRow(row, 11));
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
                                           {dead_letter_id, Str(kDead)}));
    if (!row) return NotFoundError("no dead letter " + std::to_string(dead_letter_id));
    if (!row->IsNull(0)) {
      return FailedPreconditionError("the subscription of dead letter " +
                                     std::to_string(dead_letter_id) + " was removed");
    }
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(tx.Exec("UPDATE notify_deliveries SET state = ?, attempts = 0, "
                            "next_attempt_ms = ?, last_error = '', updated_ms = ? WHERE id = ?",
                            {Str(kPending), now, now, dead_letter_id})
                        .status());
    tx.OnCommit([this] { WakeWorkers(); });
    return Status::Ok();
  });
}

Result<DeliveryCounts> Notifier::CountDeliveries() const {
  DeliveryCounts counts;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT state, COUNT(*) FROM notify_deliveries "
                                         "GROUP BY state"));
    for (const db::Row& row : rows) {
      if (row.Text(0) == kPending) counts.pending = row.Int(1);
      if (row.Text(0) == kDelivered) counts.delivered = row.Int(1);
      if (row.Text(0) == kDead) counts.dead = row.Int(1);
    }
    return Status::Ok();
  }));
  return counts;
}

std::string Notifier::MetricsText() const {
  auto counts = CountDeliveries();
  auto last = LastSequence();
  if (!counts.ok() || !last.ok()) return "";
  return "# HELP loupe_notify_deliveries Notification deliveries by state.\n"
         "# TYPE loupe_notify_deliveries gauge\n"
         "loupe_notify_deliveries{state=\"pending\"} " +
         std::to_string(counts->pending) +
         "\n"
         "loupe_notify_deliveries{state=\"delivered\"} " +
         std::to_string(counts->delivered) +
         "\n"
         "loupe_notify_deliveries{state=\"dead\"} " +
         std::to_string(counts->dead) +
         "\n"
         "# HELP loupe_notify_messages_total Notification messages published.\n"
         "# TYPE loupe_notify_messages_total counter\n"
         "loupe_notify_messages_total " +
         std::to_string(*last) + "\n";
}

Result<std::vector<Notifier::Claimed>> Notifier::Claim(int limit) {
  std::vector<Claimed> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    out.clear();
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT d.id, d.attempts, " + Str(kMessageColumns) +
                                  ", s.id, s.protocol, s.endpoint, s.secret"
                                  " FROM notify_deliveries d"
                                  " JOIN notify_messages m ON m.sequence = d.message_sequence"
                                  " JOIN notify_subscriptions s ON s.id = d.subscription_id"
                                  " WHERE d.state = ? AND d.next_attempt_ms <= ?"
                                  " ORDER BY d.next_attempt_ms, d.id LIMIT ?",
                              {Str(kPending), now, int64_t{limit}}));
    // The batch is sent one after another: the lease covers every attempt's time-out.
    auto attempt_time = options_.transport.connect_timeout + options_.transport.total_timeout;
    int64_t lease_end = ToUnixMillis(clock_.Now() + options_.claim +
                                     std::chrono::duration_cast<Duration>(attempt_time * limit));
    for (const db::Row& row : rows) {
      Claimed c;
      c.id = row.Int(0);
      c.attempts = static_cast<int>(row.Int(1));
      ASSIGN_OR_RETURN(c.message, MessageFromRow(row, 2));
      c.subscription_id = row.Int(9);
      ASSIGN_OR_RETURN(c.protocol, ParseProtocol(row.Text(10)));
      c.endpoint = row.Text(11);
      c.secret = row.Text(12);
      RETURN_IF_ERROR(tx.Exec("UPDATE notify_deliveries SET next_attempt_ms = ? WHERE id = ?",
                              {lease_end, c.id})
                          .status());
      out.push_back(std::move(c));
    }
    return Status::Ok();
  }));
  return out;
}

Duration Notifier::Backoff(int attempts) const {
  Duration d = options_.first_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

Status Notifier::Attempt(const Claimed& c, const std::atomic<bool>* cancel) {
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
  if (sent.code() == StatusCode::kCancelled) {
    // Shutting down: the attempt does not count; due again at once after a restart.
    return db_.Write([&](db::Transaction& tx) -> Status {
      return tx
          .Exec(
              "UPDATE notify_deliveries SET next_attempt_ms = ? WHERE id = ? AND state = ? "
              "AND attempts = ?",
              {now, c.id, Str(kPending), int64_t{c.attempts}})
          .status();
    });
  }
  int attempts = c.attempts + 1;
  std::string_view state = kPending;
  int64_t next = now;
  if (sent.ok()) {
    state = kDelivered;
  } else if (attempts >= options_.max_attempts) {
    state = kDead;
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
            {Str(state), int64_t{attempts}, next, sent.ok() ? std::string() : sent.message(), now,
             c.id, Str(kPending), int64_t{c.attempts}})
        .status();
  });
}

Result<int> Notifier::RunDueDeliveries() {
  int attempts = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Claimed> claimed, Claim(16));
    if (claimed.empty()) return attempts;
    for (const Claimed& c : claimed) {
      RETURN_IF_ERROR(Attempt(c, nullptr));
      ++attempts;
    }
  }
}

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

std::chrono::milliseconds Notifier::IdleWait() const {
  std::optional<int64_t> next;
  Status s = db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT MIN(next_attempt_ms) FROM notify_deliveries "
                                           "WHERE state = ?",
                                           {Str(kPending)}));
    next = row->OptInt(0);
    return Status::Ok();
  });
  if (!s.ok() || !next) return options_.max_idle_wait;
  auto until = std::chrono::milliseconds(*next - ToUnixMillis(clock_.Now()));
  return std::clamp(until, std::chrono::milliseconds(1), options_.max_idle_wait);
}

void Notifier::WorkerLoop() {
  while (!stopping_) {
    uint64_t gen = 0;
    {
      std::lock_guard lock(mu_);
      gen = wake_gen_;
    }
    auto claimed = Claim(4);
    if (!claimed.ok()) {
      spdlog::warn("notify: claiming deliveries failed: {}", claimed.status().ToString());
    } else if (!claimed->empty()) {
      for (const Claimed& c : *claimed) {
        if (Status s = Attempt(c, &stopping_); !s.ok()) {
          spdlog::warn("notify: recording delivery {} failed: {}", c.id, s.ToString());
        }
      }
      continue;
    }
    auto wait = claimed.ok() ? IdleWait() : options_.max_idle_wait;
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
