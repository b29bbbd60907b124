#pragma once
// PollScheduler: the training-poll schedule. Its period (Automatic-Training-Poll-Frequency,
// minutes) and on/off switch (Enable-Automatic-Training) are read from the parameter store
// and the schedule is re-armed (next poll = now + period) whenever either changes. When a poll
// is due it appends a durable TrainingPollDue event and the next due time in one
// transaction; the due time is stored, so a restart neither loses nor repeats a poll (polls
// missed while stopped collapse into one). Thread-safe.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "core/background_loop.h"
#include "core/clock.h"
#include "db/database.h"
#include "events/event_log.h"
#include "params/parameter_store.h"

namespace loupe::workflow {

class PollScheduler {
 public:
  // Subscribes to parameter changes; call at wiring time. Borrowed objects must outlive it.
  static Result<std::unique_ptr<PollScheduler>> Open(db::Database& db, const Clock& clock,
                                                     params::ParameterStore& params,
                                                     events::EventLog& events);
  ~PollScheduler();

  // Emits TrainingPollDue if a poll is due now. Returns whether it emitted one.
  [[nodiscard]] Result<bool> Tick();
  // When the next poll is due; nullopt while disabled.
  [[nodiscard]] Result<std::optional<TimePoint>> NextDue() const;
  // Re-reads the parameters and re-arms the schedule if they changed (called on changes).
  [[nodiscard]] Status Rearm();

  [[nodiscard]] Status Start();
  void Stop();

 private:
  PollScheduler(db::Database& db, const Clock& clock, params::ParameterStore& params,
                events::EventLog& events)
      : db_(db), clock_(clock), params_(params), events_(events) {}
  // One run of the scheduler's thread: a Tick, then the wait until the next due time.
  std::chrono::milliseconds RunOnce();

  db::Database& db_;
  const Clock& clock_;
  params::ParameterStore& params_;
  events::EventLog& events_;
  BackgroundLoop loop_{"scheduler", [this] { return RunOnce(); }};  // woken by Rearm
  // Lets the parameter listener (which can't be unsubscribed) outlive this object safely.
  struct Alive {
    std::mutex mu;
    PollScheduler* self = nullptr;  // guarded by mu; null once destroyed
  };
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
};

}  // namespace loupe::workflow
