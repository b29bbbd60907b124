// Notifier::Publish: a message and one delivery row per current subscription of its topic,
// in one transaction (the caller's, if given); idempotent by message id.

#include <sodium.h>

#include <array>
#include <utility>

#include "notify/notifier.h"
#include "notify/notify_tables.h"

namespace loupe::notify {
namespace {

std::string RandomMessageId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data(), 32);
}

}  // namespace

Result<PublishResult> Notifier::Publish(const PublishRequest& request) {
  PublishResult result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(result, Publish(tx, request));
    return Status::Ok();
  }));
  return result;
}

Result<PublishResult> Notifier::Publish(Topic topic, std::string type, std::string subject,
                                        nlohmann::json detail) {
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
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT " + std::string(kMessageColumns) +
                                                  " FROM notify_messages m WHERE m.message_id = ?",
                                              {id}));
  if (existing) {
    ASSIGN_OR_RETURN(result.message, MessageFromRow(*existing, 0));
    return result;
  }
  int64_t now = ToUnixMillis(clock_.Now());
  std::string topic(TopicName(request.topic));
  RETURN_IF_ERROR(tx.SerializeAppends("notify_messages"));  // the feed pages by sequence
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
                           {sequence, StateName(DeliveryState::kPending), now, now, topic}));
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

}  // namespace loupe::notify
