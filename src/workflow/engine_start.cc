// Engine: starting executions (idempotently by name) and stopping them.
#include <utility>

#include "workflow/engine.h"
#include "workflow/engine_rows.h"

namespace loupe::workflow {

Result<StartResult> Engine::StartExecution(const StartRequest& request) {
  StartResult result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(result, StartExecution(tx, request));
    return Status::Ok();
  }));
  return result;
}

Result<StartResult> Engine::StartExecution(db::Transaction& tx, const StartRequest& request) {
  int64_t revision = 0;
  {
    std::lock_guard lock(defs_mu_);
    auto it = latest_.find(request.state_machine);
    if (it == latest_.end()) {
      return NotFoundError("no state machine named '" + request.state_machine + "'");
    }
    revision = it->second;
  }
  std::string name = request.name.empty() ? RandomHex(16) : request.name;
  if (!ValidName(name)) {
    return InvalidArgumentError("execution name '" + name + "' must be 1..80 of [A-Za-z0-9_.-]");
  }
  if (!request.input.is_object()) {
    return InvalidArgumentError("execution input must be a JSON object");
  }
  std::string id = request.state_machine + ":" + name;
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne(std::string("SELECT ") + kExecutionColumns +
                                                  " FROM wf_executions WHERE id = ?",
                                              {id}));
  if (existing) {
    ASSIGN_OR_RETURN(ExecutionState st, StateFromRow(*existing, nullptr, nullptr));
    if (st.input != request.input) {
      return AlreadyExistsError("execution '" + id + "' exists with a different input");
    }
    return StartResult{InfoFrom(st), false};
  }
  ASSIGN_OR_RETURN(Loaded loaded, LoadRevision(tx, request.state_machine, revision));
  ExecutionState st;
  st.id = id;
  st.state_machine = request.state_machine;
  st.revision = revision;
  st.name = name;
  st.input = request.input;
  StepResult r = Begin(std::move(st), *loaded.def, clock_.Now(), ParamsSnapshot(loaded));
  const ExecutionState& n = r.next;
  RETURN_IF_ERROR(InsertExecution(tx, n, static_cast<int64_t>(r.events.size())));
  RETURN_IF_ERROR(InsertHistory(tx, n.id, 1, r.events));
  tx.OnCommit([this] {
    committed_steps_.fetch_add(1);
    Wake();
  });
  return StartResult{InfoFrom(n), true};
}

Status Engine::StopExecution(std::string_view id, std::string_view error, std::string_view cause) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT status, history_count FROM wf_executions "
                                           "WHERE id = ?",
                                           {std::string(id)}));
    if (!row) return NotFoundError("no execution '" + std::string(id) + "'");
    if (row->Text(0) != ExecutionStatusName(ExecutionStatus::kRunning)) {
      return FailedPreconditionError("execution '" + std::string(id) + "' already " + row->Text(0));
    }
    int64_t now = ToUnixMillis(clock_.Now());
    RETURN_IF_ERROR(
        tx.Exec("UPDATE wf_executions SET status = ?, error = ?, cause = ?, due_ms = NULL,"
                " task_deadline_ms = NULL, stop_ms = ?, lease_owner = NULL,"
                " lease_expires_ms = NULL, version = version + 1, history_count = ? WHERE id = ?",
                {std::string(ExecutionStatusName(ExecutionStatus::kAborted)), std::string(error),
                 std::string(cause), now, row->Int(1) + 1, std::string(id)})
            .status());
    return InsertHistory(tx, std::string(id), row->Int(1) + 1,
                         {{HistoryEventType::kExecutionAborted,
                           "",
                           {{"error", std::string(error)}, {"cause", std::string(cause)}},
                           now}});
  });
}

}  // namespace loupe::workflow
