#include "workflow/event_router.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace loupe::workflow {
namespace {

using nlohmann::json;

constexpr const char* kCursor = "event_router";

const std::vector<db::Migration> kMigrations = {
    {1, "cursors of the event router and the schedules",
     "CREATE TABLE wf_cursors (name TEXT PRIMARY KEY, last_event_id INTEGER NOT NULL);"
     "CREATE TABLE wf_schedules (name TEXT PRIMARY KEY, next_due_ms INTEGER,"
     " period_ms INTEGER NOT NULL, enabled INTEGER NOT NULL);"},
};

bool ValidRuleName(const std::string& name) {
  return !name.empty() && name.size() <= 60 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

}  // namespace

bool RuleMatches(const RoutingRule& rule, const events::Event& event) {
  if (event.kind != rule.kind) return false;
  for (const FieldCondition& c : rule.conditions) {
    auto it = event.payload.is_object() ? event.payload.find(c.field) : event.payload.end();
    bool present = event.payload.is_object() && it != event.payload.end();
    switch (c.op) {
      case FieldCondition::Op::kExists:
        if (present != (c.value.is_boolean() ? c.value.get<bool>() : true)) return false;
        break;
      case FieldCondition::Op::kEquals:
        if (!present || *it != c.value) return false;
        break;
      case FieldCondition::Op::kPrefix:
      case FieldCondition::Op::kSuffix: {
        if (!present || !it->is_string() || !c.value.is_string()) return false;
        const std::string& s = it->get_ref<const std::string&>();
        const std::string& v = c.value.get_ref<const std::string&>();
        if (c.op == FieldCondition::Op::kPrefix ? !s.starts_with(v) : !s.ends_with(v)) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

json EventInput(const events::Event& event) {
  return {{"id", event.id.value()},
          {"kind", std::string(events::EventKindName(event.kind))},
          {"time", FormatRfc3339(event.time)},
          {"detail", event.payload}};
}

Result<std::unique_ptr<EventRouter>> EventRouter::Open(db::Database& db, events::EventLog& log,
                                                       Engine& engine) {
  RETURN_IF_ERROR(db.Migrate("workflow_triggers", kMigrations));
  ASSIGN_OR_RETURN(EventId last, log.LastId());
  RETURN_IF_ERROR(db.Write([&](db::Transaction& tx) {
    return tx
        .Exec(
            "INSERT INTO wf_cursors(name, last_event_id) VALUES (?, ?) "
            "ON CONFLICT(name) DO NOTHING",
            {std::string(kCursor), last.value()})
        .status();
  }));
  return std::unique_ptr<EventRouter>(new EventRouter(db, log, engine));
}

EventRouter::~EventRouter() { Stop(); }

Status EventRouter::AddRule(RoutingRule rule) {
  if (!ValidRuleName(rule.name)) {
    return InvalidArgumentError("rule name '" + rule.name + "' must be 1..60 of [A-Za-z0-9_-]");
  }
  for (const auto& r : rules_) {
    if (r.name == rule.name) return AlreadyExistsError("rule '" + rule.name + "' exists");
  }
  rules_.push_back(std::move(rule));
  return Status::Ok();
}

Result<int64_t> EventRouter::Cursor() const {
  int64_t cursor = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT last_event_id FROM wf_cursors WHERE name = ?",
                                           {std::string(kCursor)}));
    cursor = row ? row->Int(0) : 0;
    return Status::Ok();
  }));
  return cursor;
}

Result<int64_t> EventRouter::DispatchPending() {
  std::lock_guard lock(dispatch_mu_);
  int64_t started = 0;
  while (true) {
    ASSIGN_OR_RETURN(int64_t cursor, Cursor());
    ASSIGN_OR_RETURN(events::EventPage page, log_.List(EventId(cursor), 200));
    if (page.events.empty()) return started;
    int64_t batch_started = 0;
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
      batch_started = 0;
      for (const events::Event& e : page.events) {
        for (const RoutingRule& rule : rules_) {
          if (!RuleMatches(rule, e)) continue;
          auto r = engine_.StartExecution(
              tx,
              {rule.state_machine, rule.name + "-" + std::to_string(e.id.value()), EventInput(e)});
          if (!r.ok()) {
            // A rule naming a missing machine must not block the log: log and move on.
            spdlog::error("workflow: rule {} could not start {} for event {}: {}", rule.name,
                          rule.state_machine, e.id.value(), r.status().ToString());
            continue;
          }
          if (r->created) ++batch_started;
        }
      }
      return tx
          .Exec("UPDATE wf_cursors SET last_event_id = ? WHERE name = ? AND last_event_id = ?",
                {page.next.value(), std::string(kCursor), cursor})
          .status();
    }));
    started += batch_started;
  }
}

std::chrono::milliseconds EventRouter::RunOnce() {
  auto r = DispatchPending();
  if (!r.ok()) spdlog::warn("workflow: event router: {}", r.status().ToString());
  auto last = log_.LastId();
  EventId seen = last.ok() ? *last : EventId(0);
  // Recheck the cursor against the newest id; wait only when everything is routed.
  auto cursor = Cursor();
  int64_t routed = cursor.ok() ? *cursor : 0;
  if (r.ok() && routed < seen.value()) return std::chrono::milliseconds(0);
  // New events wake the log's waiters, not the loop: wait there, then run again at once.
  log_.WaitForNewer(EventId(routed), std::chrono::milliseconds(500));
  return std::chrono::milliseconds(0);
}

Status EventRouter::Start() { return loop_.Start(); }

void EventRouter::Stop() { loop_.Stop(); }

}  // namespace loupe::workflow
