#pragma once
// EventRouter: starts workflow executions from durable events. A rule matches events of one
// kind whose payload fields meet every condition (equals / prefix / suffix / exists), e.g.
// ObjectCreated with key prefix "images_for_detection/". A dispatcher thread follows the
// EventLog from a cursor stored in the database; the executions an event starts and the
// cursor move are committed in one transaction, and the execution name is "<rule>-<event id>",
// so an event delivered twice (or re-read after a crash) starts one execution per rule.
// Thread-safe; add rules before Start().

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/background_loop.h"
#include "db/database.h"
#include "events/event_log.h"
#include "workflow/engine.h"

namespace loupe::workflow {

struct FieldCondition {
  enum class Op { kEquals, kPrefix, kSuffix, kExists };
  std::string field;  // top-level payload field, e.g. "key"
  Op op = Op::kEquals;
  nlohmann::json value;  // a string for prefix/suffix; any JSON for equals
};

struct RoutingRule {
  std::string name;  // 1..60 of [A-Za-z0-9_-]; part of execution names
  events::EventKind kind = events::EventKind::kObjectCreated;
  std::vector<FieldCondition> conditions;
  std::string state_machine;
};

// Whether `event` satisfies `rule`.
bool RuleMatches(const RoutingRule& rule, const events::Event& event);
// The execution input for an event: {"id", "kind", "time", "detail": payload}.
nlohmann::json EventInput(const events::Event& event);

class EventRouter {
 public:
  // Creates its cursor table if needed. A new cursor starts after the newest event at the
  // time of the first Open (older events are history, not work).
  static Result<std::unique_ptr<EventRouter>> Open(db::Database& db, events::EventLog& log,
                                                   Engine& engine);
  ~EventRouter();

  [[nodiscard]] Status AddRule(RoutingRule rule);
  // Routes every event after the cursor now, on the calling thread. Returns the number of
  // executions started.
  [[nodiscard]] Result<int64_t> DispatchPending();
  [[nodiscard]] Status Start();
  void Stop();

 private:
  EventRouter(db::Database& db, events::EventLog& log, Engine& engine)
      : db_(db), log_(log), engine_(engine) {}
  // The stored cursor: the id of the last routed event.
  Result<int64_t> Cursor() const;
  // One run of the dispatcher thread: routes what is pending, then waits for a newer event.
  std::chrono::milliseconds RunOnce();

  db::Database& db_;
  events::EventLog& log_;
  Engine& engine_;
  std::vector<RoutingRule> rules_;
  std::mutex dispatch_mu_;  // one dispatch at a time
  BackgroundLoop loop_{"event router", [this] { return RunOnce(); }};
};

}  // namespace loupe::workflow
