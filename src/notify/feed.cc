// Notifier's message feed: pages of messages by sequence, the newest sequence, and the
// wait for newer messages that live streams block on.

#include <utility>

#include "notify/notifier.h"
#include "notify/notify_tables.h"

namespace loupe::notify {

Result<MessagePage> Notifier::ListMessages(int64_t after, int limit,
                                           std::optional<Topic> topic) const {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be 1..1000");
  MessagePage page;
  page.next = after;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    db::Rows rows;
    std::string select = "SELECT " + std::string(kMessageColumns) + " FROM notify_messages m ";
    if (topic) {
      ASSIGN_OR_RETURN(rows, tx.Query(select + "WHERE m.topic = ? AND m.sequence > ? "
                                               "ORDER BY m.sequence LIMIT ?",
                                      {std::string(TopicName(*topic)), after, int64_t{limit}}));
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

}  // namespace loupe::notify
