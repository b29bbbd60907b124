#include "workflow/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <utility>

#include "core/sha256.h"

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

// "status = 'RUNNING'", spelled from the table. Spliced in as a literal, not bound as a
// parameter: SQLite uses the partial index wf_runnable only for a query whose WHERE repeats
// the index's term with the same constant (with `status = ?` it scans the whole table).
std::string WhereRunning() {
  return "status = '" + std::string(ExecutionStatusName(ExecutionStatus::kRunning)) + "'";
}

constexpr const char* kColumns =
    "id, state_machine, revision, name, status, input, start_ms, state, state_input, entered_ms,"
    " visits, retries, due_ms, task_deadline_ms, output, error, cause, stop_ms, version,"
    " history_count";

json ParseStored(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json() : j;
}

db::Value OptInt(const std::optional<int64_t>& v) { return v ? db::Value(*v) : db::Value(nullptr); }

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

// Appends `events` as rows seq = first, first+1, ...
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

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

Engine::Engine(db::Database& db, const Clock& clock, params::ParameterStore* params,
               EngineOptions options)
    : db_(db),
      clock_(clock),
      params_(params),
      options_(std::move(options)),
      owner_prefix_(options_.node_id + ":" + RandomHex(6) + ":") {}

Engine::~Engine() { Stop(); }

Result<std::unique_ptr<Engine>> Engine::Open(db::Database& db, const Clock& clock,
                                             params::ParameterStore* params,
                                             EngineOptions options) {
  if (options.workers < 0 || options.batch_size < 1) {
    return InvalidArgumentError("workflow engine: workers must be >= 0 and batch_size >= 1");
  }
  RETURN_IF_ERROR(db.Migrate("workflow", kMigrations));
  auto engine = std::unique_ptr<Engine>(new Engine(db, clock, params, std::move(options)));
  // This node's previous incarnation is dead: its leases can be taken at once.
  RETURN_IF_ERROR(db.Write([&](db::Transaction& tx) {
    return tx
        .Exec(
            "UPDATE wf_executions SET lease_owner = NULL, lease_expires_ms = NULL "
            "WHERE lease_owner IS NOT NULL AND substr(lease_owner, 1, ?) = ?",
            {static_cast<int64_t>(engine->options_.node_id.size() + 1),
             engine->options_.node_id + ":"})
        .status();
  }));
  return engine;
}

void Engine::RegisterHandler(std::string resource, TaskHandler handler) {
  handlers_[std::move(resource)] = std::move(handler);
}

Status Engine::LoadDefinition(std::string_view name, std::string_view json_text) {
  if (!ValidName(name) || name.find('.') != std::string_view::npos) {
    return InvalidArgumentError("state machine name '" + std::string(name) +
                                "' must be 1..80 of [A-Za-z0-9_-]");
  }
  ASSIGN_OR_RETURN(auto def, ParseDefinition(json_text, [this](std::string_view r) {
                     return handlers_.find(r) != handlers_.end();
                   }));
  std::string canonical = def->source.dump();
  Sha256 hash;
  hash.Update(canonical);
  std::string sha = hash.HexDigest();
  int64_t revision = 0;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT revision, sha256 FROM wf_definitions WHERE "
                                           "name = ? ORDER BY revision DESC LIMIT 1",
                                           {std::string(name)}));
    if (row && row->Text(1) == sha) {
      revision = row->Int(0);
      return Status::Ok();
    }
    revision = row ? row->Int(0) + 1 : 1;
    return tx
        .Exec(
            "INSERT INTO wf_definitions(name, revision, sha256, definition, created_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            {std::string(name), revision, sha, canonical, ToUnixMillis(clock_.Now())})
        .status();
  }));
  std::lock_guard lock(defs_mu_);
  defs_[{std::string(name), revision}] = {def, canonical.find("$$.Params") != std::string::npos};
  latest_[std::string(name)] = revision;
  return Status::Ok();
}

Result<Engine::Loaded> Engine::LoadRevision(db::Transaction& tx, const std::string& name,
                                            int64_t revision) {
  {
    std::lock_guard lock(defs_mu_);
    auto it = defs_.find({name, revision});
    if (it != defs_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT definition FROM wf_definitions WHERE name = ? "
                                         "AND revision = ?",
                                         {name, revision}));
  if (!row) {
    return DataLossError("state machine '" + name + "' revision " + std::to_string(revision) +
                         " is missing");
  }
  // Handlers are not re-checked: a missing one fails the task when it runs.
  ASSIGN_OR_RETURN(auto def, ParseDefinition(std::string_view(row->Text(0))));
  Loaded loaded{def, row->Text(0).find("$$.Params") != std::string::npos};
  std::lock_guard lock(defs_mu_);
  defs_[{name, revision}] = loaded;
  return loaded;
}

json Engine::ParamsSnapshot(const Loaded& loaded) const {
  if (!loaded.uses_params) return json();
  json out = json::object();
  if (params_ != nullptr) {
    for (const auto& v : params_->List()) out[v.name] = v.value;
  }
  return out;
}

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
  ASSIGN_OR_RETURN(
      auto existing,
      tx.QueryOne(std::string("SELECT ") + kColumns + " FROM wf_executions WHERE id = ?", {id}));
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
  RETURN_IF_ERROR(
      tx.Exec(
            std::string("INSERT INTO wf_executions(") + kColumns +
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            {n.id, n.state_machine, n.revision, n.name, std::string(ExecutionStatusName(n.status)),
             n.input.dump(), n.start_ms, n.state, n.state_input.dump(), n.entered_ms,
             n.visits.dump(), n.retries.dump(), OptInt(n.due_ms), OptInt(n.task_deadline_ms),
             n.output.is_null() ? db::Value(nullptr) : db::Value(n.output.dump()), n.error, n.cause,
             OptInt(n.stop_ms), static_cast<int64_t>(r.events.size())})
          .status());
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

Result<int64_t> Engine::Round(const std::string& owner, std::vector<Claimed>& batch) {
  HandlerLookup lookup = [this](std::string_view r) -> const TaskHandler* {
    auto it = handlers_.find(r);
    return it == handlers_.end() ? nullptr : &it->second;
  };
  std::vector<StepResult> results;
  results.reserve(batch.size());
  for (const Claimed& c : batch) {
    results.push_back(Step(c.state, *c.loaded.def, clock_, lookup, ParamsSnapshot(c.loaded)));
  }
  std::vector<Claimed> next_batch;
  int64_t committed = 0;
  Status s = db_.Write([&](db::Transaction& tx) -> Status {
    next_batch.clear();
    committed = 0;
    int64_t now = ToUnixMillis(clock_.Now());
    int64_t lease_until =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease).count();
    for (size_t i = 0; i < batch.size(); ++i) {
      const Claimed& c = batch[i];
      const ExecutionState& n = results[i].next;
      bool keep = n.status == ExecutionStatus::kRunning && n.due_ms && *n.due_ms <= now;
      ASSIGN_OR_RETURN(
          int64_t changed,
          tx.Exec(
              "UPDATE wf_executions SET status = ?, state = ?, state_input = ?,"
              " entered_ms = ?, visits = ?, retries = ?, due_ms = ?, task_deadline_ms = ?,"
              " output = ?, error = ?, cause = ?, stop_ms = ?, lease_owner = ?,"
              " lease_expires_ms = ?, version = version + 1, history_count = ?"
              " WHERE id = ? AND version = ?",
              {std::string(ExecutionStatusName(n.status)), n.state, n.state_input.dump(),
               n.entered_ms, n.visits.dump(), n.retries.dump(), OptInt(n.due_ms),
               OptInt(n.task_deadline_ms),
               n.output.is_null() ? db::Value(nullptr) : db::Value(n.output.dump()), n.error,
               n.cause, OptInt(n.stop_ms), keep ? db::Value(owner) : db::Value(nullptr),
               keep ? db::Value(lease_until) : db::Value(nullptr),
               c.history_count + static_cast<int64_t>(results[i].events.size()), n.id, c.version}));
      if (changed == 0) continue;  // stopped or taken over meanwhile: discard this step
      RETURN_IF_ERROR(InsertHistory(tx, n.id, c.history_count + 1, results[i].events));
      ++committed;
      if (keep) {
        next_batch.push_back({n, c.version + 1,
                              c.history_count + static_cast<int64_t>(results[i].events.size()),
                              c.loaded});
      }
    }
    // Fill the batch with runnable executions nobody holds.
    int64_t room = options_.batch_size - static_cast<int64_t>(next_batch.size());
    if (room <= 0) return Status::Ok();
    ASSIGN_OR_RETURN(
        db::Rows rows,
        tx.Query(std::string("SELECT ") + kColumns + " FROM wf_executions WHERE " + WhereRunning() +
                     " AND due_ms <= ?"
                     " AND (lease_owner IS NULL OR lease_expires_ms < ?)"
                     " ORDER BY due_ms LIMIT ?",
                 {now, now, room}));
    for (const db::Row& row : rows) {
      Claimed c;
      ASSIGN_OR_RETURN(c.state, StateFromRow(row, &c.version, &c.history_count));
      {
        std::lock_guard lock(inflight_mu_);
        if (inflight_.contains(c.state.id)) continue;  // its lease expired mid-task, here
      }
      ASSIGN_OR_RETURN(c.loaded, LoadRevision(tx, c.state.state_machine, c.state.revision));
      RETURN_IF_ERROR(tx.Exec("UPDATE wf_executions SET lease_owner = ?, lease_expires_ms = ?,"
                              " version = version + 1 WHERE id = ? AND version = ?",
                              {owner, lease_until, c.state.id, c.version})
                          .status());
      ++c.version;
      next_batch.push_back(std::move(c));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;  // nothing committed: the batch (and its leases) are unchanged
  {
    std::lock_guard lock(inflight_mu_);
    for (const Claimed& c : batch) inflight_.erase(c.state.id);
    for (const Claimed& c : next_batch) inflight_.insert(c.state.id);
  }
  batch = std::move(next_batch);
  committed_steps_.fetch_add(committed);
  return committed;
}

Status Engine::ReleaseLeases(const std::vector<Claimed>& batch) {
  if (batch.empty()) return Status::Ok();
  {
    std::lock_guard lock(inflight_mu_);
    for (const Claimed& c : batch) inflight_.erase(c.state.id);
  }
  return db_.Write([&](db::Transaction& tx) -> Status {
    for (const Claimed& c : batch) {
      RETURN_IF_ERROR(tx.Exec("UPDATE wf_executions SET lease_owner = NULL, lease_expires_ms = "
                              "NULL, version = version + 1 WHERE id = ? AND version = ?",
                              {c.state.id, c.version})
                          .status());
    }
    return Status::Ok();
  });
}

Result<int64_t> Engine::RunUntilIdle() {
  std::string owner = owner_prefix_ + "inline";
  std::vector<Claimed> batch;
  int64_t total = 0;
  while (true) {
    auto n = Round(owner, batch);
    if (!n.ok()) {
      (void)ReleaseLeases(batch);
      return n.status();
    }
    total += *n;
    if (batch.empty() && *n == 0) return total;
  }
}

std::chrono::milliseconds Engine::IdleWait() const {
  std::optional<int64_t> next;
  Status s = db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT MIN(due_ms) FROM wf_executions WHERE " +
                                           WhereRunning() + " AND lease_owner IS NULL"));
    if (row && !row->IsNull(0)) next = row->Int(0);
    ASSIGN_OR_RETURN(auto leased, tx.QueryOne("SELECT MIN(lease_expires_ms) FROM wf_executions "
                                              "WHERE " +
                                              WhereRunning() + " AND lease_owner IS NOT NULL"));
    if (leased && !leased->IsNull(0)) next = std::min(next.value_or(INT64_MAX), leased->Int(0) + 1);
    return Status::Ok();
  });
  if (!s.ok() || !next) return options_.max_idle_wait;
  auto delay = std::chrono::milliseconds(*next - ToUnixMillis(clock_.Now()));
  return std::clamp(delay, std::chrono::milliseconds(0), options_.max_idle_wait);
}

void Engine::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wake_gen_;
  }
  cv_.notify_all();
}

void Engine::WorkerLoop(int index) {
  std::string owner = owner_prefix_ + "w" + std::to_string(index);
  std::vector<Claimed> batch;
  while (true) {
    uint64_t gen = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      gen = wake_gen_;
    }
    auto n = Round(owner, batch);
    if (!n.ok()) spdlog::warn("workflow: worker {}: {}", index, n.status().ToString());
    if (n.ok() && (!batch.empty() || *n > 0)) continue;
    auto wait = n.ok() ? IdleWait() : std::chrono::milliseconds(1000);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || wake_gen_ != gen; });
  }
  if (Status s = ReleaseLeases(batch); !s.ok()) {
    spdlog::warn("workflow: worker {} could not release its leases: {}", index, s.ToString());
  }
}

Status Engine::Start() {
  std::lock_guard lock(mu_);
  if (!workers_.empty()) return FailedPreconditionError("workflow engine already started");
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
  return Status::Ok();
}

void Engine::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

Result<std::vector<StateMachineInfo>> Engine::ListStateMachines() const {
  std::vector<StateMachineInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT d.name, d.revision, d.sha256, d.definition, d.created_ms "
                              "FROM wf_definitions d WHERE d.revision = (SELECT MAX(revision) "
                              "FROM wf_definitions e WHERE e.name = d.name) ORDER BY d.name"));
    for (const db::Row& r : rows) {
      out.push_back(
          {r.Text(0), r.Int(1), r.Text(2), ParseStored(r.Text(3)), FromUnixMillis(r.Int(4))});
    }
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
    if (r) {
      out = StateMachineInfo{r->Text(0), r->Int(1), r->Text(2), ParseStored(r->Text(3)),
                             FromUnixMillis(r->Int(4))};
    }
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
                     tx.Query(std::string("SELECT ") + kColumns +
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
    ASSIGN_OR_RETURN(
        auto r, tx.QueryOne(std::string("SELECT ") + kColumns + " FROM wf_executions WHERE id = ?",
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
