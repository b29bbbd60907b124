#pragma once
// Engine: durable executions of state machines. Definitions are stored with revisions (an
// execution keeps the revision it started with); every step of an execution is committed
// in one transaction that updates its row (with a version check) and appends its history
// events. Worker threads claim runnable executions with leases stored in the row (owner +
// expiry), run a batch of steps, and commit the whole batch in one transaction (group
// commit). Timers (Wait, retry back-off, task deadlines) are `due_ms` times in the rows,
// driven by the injected Clock; idle workers block on a condition variable until the next
// due time or a wake-up. Thread-safe. Register handlers and load definitions before Start().

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "params/parameter_store.h"
#include "workflow/definition.h"
#include "workflow/execution.h"
#include "workflow/step.h"

namespace loupe::workflow {

struct EngineOptions {
  // Names this process's leases. A restarted process with the same node id takes back the
  // leases of its previous incarnation at once (it knows that one is dead); leases of other
  // nodes are taken over only after they expire.
  std::string node_id = "local";
  int workers = 2;
  int batch_size = 64;  // executions one worker steps per transaction
  Duration lease = std::chrono::seconds(60);
  // Longest idle wait before re-reading the database (for changes made by other processes).
  std::chrono::milliseconds max_idle_wait{2000};
};

struct StartRequest {
  std::string state_machine;
  std::string name;  // empty = a random name; the same name starts at most one execution
  nlohmann::json input = nlohmann::json::object();
};

struct StartResult {
  ExecutionInfo execution;
  bool created = false;  // false: an execution of that name existed (same input)
};

struct ExecutionFilter {
  std::string state_machine;  // empty = all
  std::optional<ExecutionStatus> status;
  int limit = 100;  // 1..1000, newest first
};

class Engine {
 public:
  // Creates its tables if needed; releases leases held by this node's previous incarnation.
  // `params` may be null (then $$.Params is empty). All borrowed objects must outlive it.
  static Result<std::unique_ptr<Engine>> Open(db::Database& db, const Clock& clock,
                                              params::ParameterStore* params,
                                              EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // REQUIRES: before Start() and before LoadDefinition of machines that use it.
  void RegisterHandler(std::string resource, TaskHandler handler);
  // Validates (resources must be registered) and stores a definition as the machine's next
  // revision unless it is unchanged. Name: 1..80 of [A-Za-z0-9_-].
  [[nodiscard]] Status LoadDefinition(std::string_view name, std::string_view json_text);

  // Starts the worker threads. Stop() ends them (also done by the destructor).
  [[nodiscard]] Status Start();
  void Stop();
  // Steps every execution that is runnable now, on the calling thread, until none is
  // (tests with a FakeClock; tools). Returns the number of steps committed.
  [[nodiscard]] Result<int64_t> RunUntilIdle();

  // Starts an execution, idempotently by name: an existing execution with the same name and
  // input is returned with created=false; a different input is AlreadyExists.
  [[nodiscard]] Result<StartResult> StartExecution(const StartRequest& request);
  // Same, inside the caller's transaction (workers wake when it commits).
  [[nodiscard]] Result<StartResult> StartExecution(db::Transaction& tx,
                                                   const StartRequest& request);
  // Aborts a running execution (FailedPrecondition if it has finished). A step in flight is
  // discarded when it tries to commit.
  [[nodiscard]] Status StopExecution(std::string_view id, std::string_view error,
                                     std::string_view cause);

  [[nodiscard]] Result<std::vector<StateMachineInfo>> ListStateMachines() const;
  [[nodiscard]] Result<StateMachineInfo> GetStateMachine(std::string_view name) const;
  [[nodiscard]] Result<std::vector<ExecutionInfo>> ListExecutions(
      const ExecutionFilter& filter) const;
  [[nodiscard]] Result<ExecutionInfo> GetExecution(std::string_view id) const;
  // REQUIRES: 1 <= limit <= 10000. Events with id > after, oldest first.
  [[nodiscard]] Result<std::vector<HistoryEvent>> History(std::string_view id, int64_t after = 0,
                                                          int limit = 1000) const;
  [[nodiscard]] Result<int64_t> CountRunning() const;

  // Steps committed since Open (executions started count as one step each).
  int64_t CommittedSteps() const { return committed_steps_.load(); }

 private:
  struct Loaded {
    std::shared_ptr<const Definition> def;
    bool uses_params = false;
  };
  struct Claimed {
    ExecutionState state;
    int64_t version = 0;
    int64_t history_count = 0;
    Loaded loaded;
  };

  Engine(db::Database& db, const Clock& clock, params::ParameterStore* params,
         EngineOptions options);
  Result<Loaded> LoadRevision(db::Transaction& tx, const std::string& name, int64_t revision);
  nlohmann::json ParamsSnapshot(const Loaded& loaded) const;
  // One round of a worker: step every claimed execution, then in one transaction commit the
  // steps and claim more runnable executions. Returns the number of steps committed.
  Result<int64_t> Round(const std::string& owner, std::vector<Claimed>& batch);
  Status ReleaseLeases(const std::vector<Claimed>& batch);
  std::chrono::milliseconds IdleWait() const;
  void WorkerLoop(int index);
  void Wake();

  db::Database& db_;
  const Clock& clock_;
  params::ParameterStore* params_;
  EngineOptions options_;
  std::string owner_prefix_;  // node id + incarnation

  std::map<std::string, TaskHandler, std::less<>> handlers_;  // fixed after Start()

  mutable std::mutex defs_mu_;
  std::map<std::pair<std::string, int64_t>, Loaded> defs_;  // guarded by defs_mu_
  std::map<std::string, int64_t, std::less<>> latest_;      // guarded by defs_mu_

  // Executions held in some batch of this process. A lease can expire while a long task runs;
  // this keeps another worker of the same process from claiming it meanwhile.
  std::mutex inflight_mu_;
  std::set<std::string> inflight_;  // guarded by inflight_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  uint64_t wake_gen_ = 0;  // guarded by mu_
  std::vector<std::thread> workers_;
  std::atomic<int64_t> committed_steps_{0};
};

}  // namespace loupe::workflow
