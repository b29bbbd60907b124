#include "notify/notify_tables.h"

#include <nlohmann/json.hpp>

namespace loupe::notify {

const std::vector<db::Migration>& NotifyMigrations() {
  static const std::vector<db::Migration> kMigrations = {
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
  return kMigrations;
}

Result<Message> MessageFromRow(const db::Row& row, size_t at) {
  Message m;
  m.sequence = row.Int(at);
  m.id = row.Text(at + 1);
  ASSIGN_OR_RETURN(m.topic, ParseTopic(row.Text(at + 2)));
  m.type = row.Text(at + 3);
  m.subject = row.Text(at + 4);
  m.detail = nlohmann::json::parse(row.Text(at + 5), nullptr, /*allow_exceptions=*/false);
  if (m.detail.is_discarded()) {
    return DataLossError("message " + std::to_string(m.sequence) + " has a corrupt detail");
  }
  m.time = FromUnixMillis(row.Int(at + 6));
  return m;
}

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

}  // namespace loupe::notify
