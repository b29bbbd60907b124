// Engine: the run loop. A round steps a worker's batch and, in one transaction, commits the
// steps and claims more runnable executions; worker threads (or RunUntilIdle) repeat rounds
// and wait for the next due time or a wake-up in between.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "workflow/engine.h"
#include "workflow/engine_rows.h"

namespace loupe::workflow {

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
      int64_t history_count = c.history_count + static_cast<int64_t>(results[i].events.size());
      ASSIGN_OR_RETURN(
          int64_t changed,
          UpdateExecution(tx, n, c.version, history_count,
                          keep ? std::optional<std::string>(owner) : std::nullopt, lease_until));
      if (changed == 0) continue;  // stopped or taken over meanwhile: discard this step
      RETURN_IF_ERROR(InsertHistory(tx, n.id, c.history_count + 1, results[i].events));
      ++committed;
      if (keep) {
        next_batch.push_back({n, c.version + 1, history_count, c.loaded});
      }
    }
    // Fill the batch with runnable executions nobody holds.
    int64_t room = options_.batch_size - static_cast<int64_t>(next_batch.size());
    if (room <= 0) return Status::Ok();
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query(std::string("SELECT ") + kExecutionColumns +
                                  " FROM wf_executions WHERE " + WhereRunning() +
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

}  // namespace loupe::workflow
