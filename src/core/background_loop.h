#pragma once
// BackgroundLoop: one thread that runs a step function until stopped, sleeping between runs
// for the period the step returns and waking early on Wake() or Stop(). It replaces the
// hand-written thread + mutex + condition-variable start/stop loops of the engine's helpers,
// the scheduler, the notifier's workers and the review sweeper.
//
//   BackgroundLoop loop("poll-scheduler", [&] { DoWork(); return std::chrono::seconds(30); });
//   loop.Start();   // FailedPrecondition if already running
//   loop.Wake();    // run the step again now (coalesced: several wakes, one extra run)
//   loop.Stop();    // wakes the thread, waits for the running step to return; idempotent
//
// The step runs on the loop's thread only, never concurrently with itself. Waiting uses the
// steady clock of the OS (a wait is not logic: what the step decides uses the injected Clock).
// Thread-safe; the destructor stops the loop.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace loupe {

class BackgroundLoop {
 public:
  // Returns how long to wait before the next run (zero or negative: run again at once).
  using Step = std::function<std::chrono::milliseconds()>;

  BackgroundLoop(std::string name, Step step);
  ~BackgroundLoop();  // Stop()
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  [[nodiscard]] Status Start();
  void Wake();
  void Stop();
  [[nodiscard]] bool running() const;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  void Run();

  const std::string name_;
  const Step step_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  std::thread thread_;     // guarded by mu_ (started/joined under start_stop_mu_)
  std::mutex start_stop_mu_;
};

}  // namespace loupe
