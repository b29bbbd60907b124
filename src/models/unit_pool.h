#pragma once
// UnitPool: the inference units of one running model version. An inference unit is a worker
// thread with its own bounded queue of tasks; every unit runs its tasks against the version's
// Predictor, which is immutable and thread-safe (ml/predictor.h), so the units share one
// loaded instance instead of holding N copies of the backbone weights.
//
// Submit puts a task on the least-loaded unit. When every queue is full it waits up to
// `admission_timeout` for space, then answers ResourceExhausted (HTTP 429). Resize(N) adds
// units or retires some live: a retiring unit takes no new tasks, finishes the ones it has
// queued, and exits — no task is ever dropped. Shutdown() stops admission, lets every queued
// task finish and joins the threads.
//
// Thread-safe. Owns its threads; the destructor calls Shutdown().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.h"
#include "ml/predictor.h"

namespace loupe::models {

struct PoolOptions {
  int queue_capacity = 4;                             // tasks waiting per unit
  std::chrono::milliseconds admission_timeout{2000};  // wait for space, then 429
};

struct PoolStats {
  int units = 0;           // active (accepting) units
  int retiring_units = 0;  // draining after a scale-down
  int queued = 0;          // tasks waiting in queues
  int busy = 0;            // tasks running now
  int64_t completed = 0;   // tasks finished since creation
  int64_t rejected = 0;    // ResourceExhausted answers
};

class UnitPool {
 public:
  // Runs on a unit's thread; `unit` is the unit's number (1-based, for logs and tests).
  using Task = std::function<void(const ml::Predictor& predictor, int unit)>;

  // REQUIRES: predictor != nullptr, units >= 1.
  UnitPool(std::shared_ptr<const ml::Predictor> predictor, int units, PoolOptions options);
  ~UnitPool();
  UnitPool(const UnitPool&) = delete;
  UnitPool& operator=(const UnitPool&) = delete;

  // Queues `task`. ResourceExhausted after waiting admission_timeout for space; Unavailable
  // after Shutdown.
  [[nodiscard]] Status Submit(Task task);
  // Sets the number of active units (>= 1; InvalidArgument otherwise). Never blocks on
  // running tasks: retired units drain on their own and are joined later.
  [[nodiscard]] Status Resize(int units);
  // Stops admission, finishes every queued task, joins every thread. Idempotent.
  void Shutdown();

  PoolStats Stats() const;
  const std::shared_ptr<const ml::Predictor>& predictor() const { return predictor_; }

 private:
  struct Unit {
    int number = 0;
    std::deque<Task> queue;
    std::condition_variable cv;
    bool busy = false;
    bool retiring = false;
    bool exited = false;
    std::thread thread;
  };
  void Work(Unit* unit);
  void StartUnitLocked();
  // Joins retired units whose thread has exited. Called with mu_ NOT held.
  void ReapRetired();

  const std::shared_ptr<const ml::Predictor> predictor_;
  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable space_cv_;             // a queue slot was freed, or the pool shut down
  std::vector<std::unique_ptr<Unit>> active_;    // guarded by mu_
  std::vector<std::unique_ptr<Unit>> retiring_;  // guarded by mu_
  int next_number_ = 1;                          // guarded by mu_
  bool shut_down_ = false;                       // guarded by mu_
  int64_t completed_ = 0;                        // guarded by mu_
  int64_t rejected_ = 0;                         // guarded by mu_
};

}  // namespace loupe::models
