#include "events/event_log.h"

#include <algorithm>
#include <utility>

namespace loupe::events {
namespace {

const std::vector<db::Migration> kMigrations = {
    {1, "event log",
     "CREATE TABLE events ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " kind TEXT NOT NULL,"
     " payload TEXT NOT NULL,"
     " time_ms INTEGER NOT NULL);"
     "CREATE INDEX events_by_kind ON events(kind, id);"},
};

Result<Event> EventFromRow(const db::Row& row) {
  ASSIGN_OR_RETURN(EventKind kind, ParseEventKind(row.Text(1)));
  nlohmann::json payload = nlohmann::json::parse(row.Text(2), nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded()) {
    return DataLossError("event " + std::to_string(row.Int(0)) + " has a corrupt payload");
  }
  return Event{EventId(row.Int(0)), kind, std::move(payload), FromUnixMillis(row.Int(3))};
}

}  // namespace

Result<std::unique_ptr<EventLog>> EventLog::Open(db::Database& db, const Clock& clock) {
  RETURN_IF_ERROR(db.Migrate("events", kMigrations));
  auto log = std::unique_ptr<EventLog>(new EventLog(db, clock));
  ASSIGN_OR_RETURN(EventId last, log->LastId());
  log->last_committed_ = last.value();
  return log;
}

Result<EventId> EventLog::Append(db::Transaction& tx, EventKind kind,
                                 const nlohmann::json& payload) {
  RETURN_IF_ERROR(tx.SerializeAppends("events"));
  ASSIGN_OR_RETURN(
      auto row,
      tx.QueryOne("INSERT INTO events(kind, payload, time_ms) VALUES (?, ?, ?) "
                  "RETURNING id",
                  {std::string(EventKindName(kind)), payload.dump(), ToUnixMillis(clock_.Now())}));
  int64_t id = row->Int(0);
  tx.OnCommit([this, id] { Committed(id); });
  return EventId(id);
}

Result<EventId> EventLog::Append(EventKind kind, const nlohmann::json& payload) {
  EventId id;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(id, Append(tx, kind, payload));
    return Status::Ok();
  }));
  return id;
}

Result<EventPage> EventLog::List(EventId after, int limit, std::optional<EventKind> kind) const {
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit must be 1..1000");
  EventPage page;
  page.next = after;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    db::Rows rows;
    if (kind) {
      ASSIGN_OR_RETURN(
          rows, tx.Query("SELECT id, kind, payload, time_ms FROM events "
                         "WHERE id > ? AND kind = ? ORDER BY id LIMIT ?",
                         {after.value(), std::string(EventKindName(*kind)), int64_t{limit}}));
    } else {
      ASSIGN_OR_RETURN(rows, tx.Query("SELECT id, kind, payload, time_ms FROM events "
                                      "WHERE id > ? ORDER BY id LIMIT ?",
                                      {after.value(), int64_t{limit}}));
    }
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(Event e, EventFromRow(row));
      page.next = e.id;
      page.events.push_back(std::move(e));
    }
    return Status::Ok();
  }));
  return page;
}

bool EventLog::WaitForNewer(EventId after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return last_committed_ > after.value(); });
}

Result<EventId> EventLog::LastId() const {
  int64_t last = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COALESCE(MAX(id), 0) FROM events"));
    last = row->Int(0);
    return Status::Ok();
  }));
  return EventId(last);
}

void EventLog::Committed(int64_t id) {
  {
    std::lock_guard lock(mu_);
    last_committed_ = std::max(last_committed_, id);
  }
  cv_.notify_all();
}

}  // namespace loupe::events
