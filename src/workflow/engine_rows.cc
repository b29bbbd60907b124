#include "workflow/engine_rows.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <utility>

namespace loupe::workflow {
namespace {

using nlohmann::json;

const std::vector<db::Migration> kMigrations = {
    {1, "workflow definitions, executions, history",
     "CREATE TABLE wf_definitions ("
     " name TEXT NOT NULL,"
     " revision INTEGER NOT NULL,"
     " sha256 TEXT NOT NULL,"
     " definition TEXT NOT NULL,"
     " created_ms INTEGER NOT NULL,"
     " PRIMARY KEY (name, revision));"
     "CREATE TABLE wf_executions ("
     " id TEXT PRIMARY KEY,"
     " state_machine TEXT NOT NULL,"
     " revision INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " status TEXT NOT NULL,"
     " input TEXT NOT NULL,"
     " start_ms INTEGER NOT NULL,"
     " state TEXT NOT NULL,"
     " state_input TEXT NOT NULL,"
     " entered_ms INTEGER NOT NULL,"
     " visits TEXT NOT NULL,"
     " retries TEXT NOT NULL,"
     " due_ms INTEGER,"
     " task_deadline_ms INTEGER,"
     " output TEXT,"
     " error TEXT NOT NULL,"
     " cause TEXT NOT NULL,"
     " stop_ms INTEGER,"
     " lease_owner TEXT,"
     " lease_expires_ms INTEGER,"
     " version INTEGER NOT NULL,"
     " history_count INTEGER NOT NULL);"
     "CREATE INDEX wf_runnable ON wf_executions(due_ms) WHERE status = 'RUNNING';"
     "CREATE INDEX wf_by_machine ON wf_executions(state_machine, start_ms);"
     "CREATE INDEX wf_by_start ON wf_executions(start_ms);"
     "CREATE TABLE wf_history ("
     " execution_id TEXT NOT NULL,"
     " seq INTEGER NOT NULL,"
     " type TEXT NOT NULL,"
     " state TEXT NOT NULL,"
     " time_ms INTEGER NOT NULL,"
     " details TEXT NOT NULL,"
     " PRIMARY KEY (execution_id, seq));"},
};

// The partial index wf_runnable above says `status = 'RUNNING'`: the table must keep that name.
static_assert(kExecutionStatusNames.Name(ExecutionStatus::kRunning) == "RUNNING");

// The columns a step changes, in the order ProgressValues gives them.
constexpr std::array<std::string_view, 12> kProgressColumns = {
    "status",           "state",  "state_input", "entered_ms", "visits", "retries", "due_ms",
    "task_deadline_ms", "output", "error",       "cause",      "stop_ms"};

db::Value OptInt(const std::optional<int64_t>& v) { return v ? db::Value(*v) : db::Value(nullptr); }

// The values of kProgressColumns for `st`, appended to `params`.
void AppendProgress(const ExecutionState& st, db::Params& params) {
  params.emplace_back(std::string(ExecutionStatusName(st.status)));
  params.emplace_back(st.state);
  params.emplace_back(st.state_input.dump());
  params.emplace_back(st.entered_ms);
  params.emplace_back(st.visits.dump());
  params.emplace_back(st.retries.dump());
  params.push_back(OptInt(st.due_ms));
  params.push_back(OptInt(st.task_deadline_ms));
  params.push_back(st.output.is_null() ? db::Value(nullptr) : db::Value(st.output.dump()));
  params.emplace_back(st.error);
  params.emplace_back(st.cause);
  params.push_back(OptInt(st.stop_ms));
}

// "a, b, c" or, with `suffix` " = ?", "a = ?, b = ?, c = ?".
std::string ProgressList(std::string_view suffix) {
  std::string out;
  for (std::string_view c : kProgressColumns) {
    if (!out.empty()) out += ", ";
    out += c;
    out += suffix;
  }
  return out;
}

}  // namespace

const std::vector<db::Migration>& EngineMigrations() { return kMigrations; }

std::string WhereRunning() {
  return "status = '" + std::string(ExecutionStatusName(ExecutionStatus::kRunning)) + "'";
}

json ParseStored(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json() : j;
}

Result<ExecutionState> StateFromRow(const db::Row& row, int64_t* version, int64_t* history_count) {
  ExecutionState st;
  st.id = row.Text(0);
  st.state_machine = row.Text(1);
  st.revision = row.Int(2);
  st.name = row.Text(3);
  ASSIGN_OR_RETURN(st.status, ParseExecutionStatus(row.Text(4)));
  st.input = ParseStored(row.Text(5));
  st.start_ms = row.Int(6);
  st.state = row.Text(7);
  st.state_input = ParseStored(row.Text(8));
  st.entered_ms = row.Int(9);
  st.visits = ParseStored(row.Text(10));
  st.retries = ParseStored(row.Text(11));
  st.due_ms = row.OptInt(12);
  st.task_deadline_ms = row.OptInt(13);
  if (!row.IsNull(14)) st.output = ParseStored(row.Text(14));
  st.error = row.Text(15);
  st.cause = row.Text(16);
  st.stop_ms = row.OptInt(17);
  if (version) *version = row.Int(18);
  if (history_count) *history_count = row.Int(19);
  if (!st.visits.is_object() || !st.retries.is_array()) {
    return DataLossError("execution " + st.id + " has a corrupt row");
  }
  return st;
}

ExecutionInfo InfoFrom(const ExecutionState& st) {
  ExecutionInfo info;
  info.id = st.id;
  info.state_machine = st.state_machine;
  info.revision = st.revision;
  info.name = st.name;
  info.status = st.status;
  if (st.status == ExecutionStatus::kRunning) info.current_state = st.state;
  info.input = st.input;
  info.output = st.output;
  info.error = st.error;
  info.cause = st.cause;
  info.start_time = FromUnixMillis(st.start_ms);
  if (st.stop_ms) info.stop_time = FromUnixMillis(*st.stop_ms);
  return info;
}

Status InsertExecution(db::Transaction& tx, const ExecutionState& st, int64_t history_count) {
  static const std::string kSql =
      "INSERT INTO wf_executions(id, state_machine, revision, name, input, start_ms, " +
      ProgressList("") + ", version, history_count) VALUES (?, ?, ?, ?, ?, ?, " +
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)";
  db::Params params = {st.id, st.state_machine, st.revision, st.name, st.input.dump(), st.start_ms};
  AppendProgress(st, params);
  params.emplace_back(history_count);
  return tx.Exec(kSql, params).status();
}

Result<int64_t> UpdateExecution(db::Transaction& tx, const ExecutionState& st, int64_t version,
                                int64_t history_count, const std::optional<std::string>& owner,
                                int64_t lease_until) {
  static const std::string kSql = "UPDATE wf_executions SET " + ProgressList(" = ?") +
                                  ", lease_owner = ?, lease_expires_ms = ?,"
                                  " version = version + 1, history_count = ?"
                                  " WHERE id = ? AND version = ?";
  db::Params params;
  params.reserve(kProgressColumns.size() + 5);
  AppendProgress(st, params);
  params.push_back(owner ? db::Value(*owner) : db::Value(nullptr));
  params.push_back(owner ? db::Value(lease_until) : db::Value(nullptr));
  params.emplace_back(history_count);
  params.emplace_back(st.id);
  params.emplace_back(version);
  return tx.Exec(kSql, params);
}

Status InsertHistory(db::Transaction& tx, const std::string& id, int64_t first,
                     const std::vector<PendingEvent>& events) {
  if (events.empty()) return Status::Ok();
  std::string sql =
      "INSERT INTO wf_history(execution_id, seq, type, state, time_ms, details) VALUES ";
  db::Params params;
  params.reserve(events.size() * 6);
  for (size_t i = 0; i < events.size(); ++i) {
    sql += i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
    const PendingEvent& e = events[i];
    params.emplace_back(id);
    params.emplace_back(first + static_cast<int64_t>(i));
    params.emplace_back(std::string(HistoryEventTypeName(e.type)));
    params.emplace_back(e.state);
    params.emplace_back(e.time_ms);
    params.emplace_back(e.details.dump());
  }
  return tx.Exec(sql, params).status();
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 80) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace loupe::workflow
