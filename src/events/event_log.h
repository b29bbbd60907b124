#pragma once
// EventLog: the durable, ordered log of things that happened (objects created, parameters
// changed, training polls due, human loops completed). Modules append inside their own
// transaction so an event exists iff the change it describes was committed; readers page
// through it by id, and may block until a newer event is committed. Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/ids.h"
#include "core/result.h"
#include "db/database.h"

namespace loupe::events {

enum class EventKind {
  kObjectCreated,       // {"key", "size", "sha256"}
  kParameterChanged,    // {"name", "old", "new", "version", "updated_by"}
  kTrainingPollDue,     // {}
  kHumanLoopCompleted,  // {"loop"}
};

// The one string table of EventKind; the persisted `events.kind` and the API go through it.
inline constexpr EnumTable<EventKind, 4> kEventKindNames{{{
    {EventKind::kObjectCreated, "ObjectCreated"},
    {EventKind::kParameterChanged, "ParameterChanged"},
    {EventKind::kTrainingPollDue, "TrainingPollDue"},
    {EventKind::kHumanLoopCompleted, "HumanLoopCompleted"},
}}};

inline std::string_view EventKindName(EventKind kind) { return kEventKindNames.Name(kind); }
// Inverse of EventKindName; InvalidArgument naming the kinds for an unknown name.
inline Result<EventKind> ParseEventKind(std::string_view name) {
  return kEventKindNames.Parse(name, "event kind");
}

struct Event {
  EventId id;
  EventKind kind;
  nlohmann::json payload;
  TimePoint time;
};

struct EventPage {
  std::vector<Event> events;  // ascending by id
  EventId next;               // pass as `after` to read on; equals `after` when nothing new
};

class EventLog {
 public:
  // Creates its tables in `db` if needed. `db` and `clock` must outlive the log.
  static Result<std::unique_ptr<EventLog>> Open(db::Database& db, const Clock& clock);

  // Appends an event within the caller's transaction; it becomes visible when that commits.
  [[nodiscard]] Result<EventId> Append(db::Transaction& tx, EventKind kind,
                                       const nlohmann::json& payload);
  // Appends in a transaction of its own.
  [[nodiscard]] Result<EventId> Append(EventKind kind, const nlohmann::json& payload);

  // Events with id > after, oldest first, at most `limit` (1..1000); optionally of one kind.
  [[nodiscard]] Result<EventPage> List(EventId after, int limit,
                                       std::optional<EventKind> kind = std::nullopt) const;

  // Blocks until an event with id > after is committed or `timeout` passes (real time; for
  // long-polling clients and worker loops). Returns true if one may be there.
  bool WaitForNewer(EventId after, std::chrono::milliseconds timeout) const;

  // The id of the newest committed event (0 if none).
  [[nodiscard]] Result<EventId> LastId() const;

 private:
  EventLog(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  void Committed(int64_t id);

  db::Database& db_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int64_t last_committed_ = 0;  // guarded by mu_
};

}  // namespace loupe::events
