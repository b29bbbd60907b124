// Engine: the read side: state machines, executions and their history.
#include <optional>

#include "workflow/engine.h"
#include "workflow/engine_rows.h"

namespace loupe::workflow {
namespace {

// A row of (name, revision, sha256, definition, created_ms) of wf_definitions.
StateMachineInfo MachineFromRow(const db::Row& r) {
  return {r.Text(0), r.Int(1), r.Text(2), ParseStored(r.Text(3)), FromUnixMillis(r.Int(4))};
}

}  // namespace

Result<std::vector<StateMachineInfo>> Engine::ListStateMachines() const {
  std::vector<StateMachineInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT d.name, d.revision, d.sha256, d.definition, d.created_ms "
                              "FROM wf_definitions d WHERE d.revision = (SELECT MAX(revision) "
                              "FROM wf_definitions e WHERE e.name = d.name) ORDER BY d.name"));
    for (const db::Row& r : rows) out.push_back(MachineFromRow(r));
    return Status::Ok();
  }));
  return out;
}

Result<StateMachineInfo> Engine::GetStateMachine(std::string_view name) const {
  std::optional<StateMachineInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto r, tx.QueryOne("SELECT name, revision, sha256, definition, created_ms "
                                         "FROM wf_definitions WHERE name = ? ORDER BY revision "
                                         "DESC LIMIT 1",
                                         {std::string(name)}));
    if (r) out = MachineFromRow(*r);
    return Status::Ok();
  }));
  if (!out) return NotFoundError("no state machine named '" + std::string(name) + "'");
  return *out;
}

Result<std::vector<ExecutionInfo>> Engine::ListExecutions(const ExecutionFilter& filter) const {
  if (filter.limit < 1 || filter.limit > 1000) {
    return InvalidArgumentError("limit must be in [1, 1000]");
  }
  std::string status = filter.status ? std::string(ExecutionStatusName(*filter.status)) : "";
  std::vector<ExecutionInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query(std::string("SELECT ") + kExecutionColumns +
                                  " FROM wf_executions WHERE (? = '' OR state_machine = ?)"
                                  " AND (? = '' OR status = ?) ORDER BY start_ms DESC, id"
                                  " LIMIT ?",
                              {filter.state_machine, filter.state_machine, status, status,
                               int64_t{filter.limit}}));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(ExecutionState st, StateFromRow(r, nullptr, nullptr));
      out.push_back(InfoFrom(st));
    }
    return Status::Ok();
  }));
  return out;
}

Result<ExecutionInfo> Engine::GetExecution(std::string_view id) const {
  std::optional<ExecutionInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto r, tx.QueryOne(std::string("SELECT ") + kExecutionColumns +
                                             " FROM wf_executions WHERE id = ?",
                                         {std::string(id)}));
    if (r) {
      ASSIGN_OR_RETURN(ExecutionState st, StateFromRow(*r, nullptr, nullptr));
      out = InfoFrom(st);
    }
    return Status::Ok();
  }));
  if (!out) return NotFoundError("no execution '" + std::string(id) + "'");
  return *out;
}

Result<std::vector<HistoryEvent>> Engine::History(std::string_view id, int64_t after,
                                                  int limit) const {
  if (limit < 1 || limit > 10000) return InvalidArgumentError("limit must be in [1, 10000]");
  std::vector<HistoryEvent> out;
  bool exists = false;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto e,
                     tx.QueryOne("SELECT 1 FROM wf_executions WHERE id = ?", {std::string(id)}));
    exists = e.has_value();
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT seq, type, state, time_ms, details FROM wf_history WHERE "
                              "execution_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                              {std::string(id), after, int64_t{limit}}));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(HistoryEventType type, ParseHistoryEventType(r.Text(1)));
      out.push_back({r.Int(0), type, FromUnixMillis(r.Int(3)), r.Text(2), ParseStored(r.Text(4))});
    }
    return Status::Ok();
  }));
  if (!exists) return NotFoundError("no execution '" + std::string(id) + "'");
  return out;
}

Result<int64_t> Engine::CountRunning() const {
  int64_t n = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto r,
                     tx.QueryOne("SELECT COUNT(*) FROM wf_executions WHERE " + WhereRunning()));
    n = r ? r->Int(0) : 0;
    return Status::Ok();
  }));
  return n;
}

}  // namespace loupe::workflow
