#include "workflow/poll_scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace loupe::workflow {
namespace {

constexpr const char* kSchedule = "training_poll";

}  // namespace

Result<std::unique_ptr<PollScheduler>> PollScheduler::Open(db::Database& db, const Clock& clock,
                                                           params::ParameterStore& params,
                                                           events::EventLog& events) {
  // The schedules table belongs to the triggers' migrations (see event_router.cc).
  auto version = db.SchemaVersion("workflow_triggers");
  if (!version.ok() || *version < 1) {
    return FailedPreconditionError("open the EventRouter before the PollScheduler");
  }
  auto s = std::unique_ptr<PollScheduler>(new PollScheduler(db, clock, params, events));
  RETURN_IF_ERROR(s->Rearm());
  s->alive_->self = s.get();
  params.Subscribe([alive = s->alive_](const params::ParamValue& changed) {
    if (changed.name != params::kEnableAutomaticTraining &&
        changed.name != params::kTrainingPollFrequency) {
      return;
    }
    std::lock_guard lock(alive->mu);
    if (alive->self == nullptr) return;
    if (Status st = alive->self->Rearm(); !st.ok()) {
      spdlog::error("workflow: re-arming the training poll: {}", st.ToString());
    }
  });
  return s;
}

PollScheduler::~PollScheduler() {
  {
    std::lock_guard lock(alive_->mu);
    alive_->self = nullptr;
  }
  Stop();
}

Status PollScheduler::Rearm() {
  bool enabled = params_.GetBool(params::kEnableAutomaticTraining);
  int64_t period_ms = params_.GetInt(params::kTrainingPollFrequency) * 60 * 1000;
  int64_t now = ToUnixMillis(clock_.Now());
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT period_ms, enabled FROM wf_schedules WHERE "
                                           "name = ?",
                                           {std::string(kSchedule)}));
    if (row && row->Int(0) == period_ms && (row->Int(1) != 0) == enabled) return Status::Ok();
    db::Value next = nullptr;
    if (enabled) next = now + period_ms;
    return tx
        .Exec(
            "INSERT INTO wf_schedules(name, next_due_ms, period_ms, enabled) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET next_due_ms = excluded.next_due_ms,"
            " period_ms = excluded.period_ms, enabled = excluded.enabled",
            {std::string(kSchedule), next, period_ms, int64_t{enabled ? 1 : 0}})
        .status();
  }));
  loop_.Wake();
  return Status::Ok();
}

Result<bool> PollScheduler::Tick() {
  bool emitted = false;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    emitted = false;
    int64_t now = ToUnixMillis(clock_.Now());
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT next_due_ms, period_ms, enabled FROM "
                                           "wf_schedules WHERE name = ?",
                                           {std::string(kSchedule)}));
    if (!row || row->IsNull(0) || row->Int(2) == 0 || row->Int(0) > now) return Status::Ok();
    RETURN_IF_ERROR(events_
                        .Append(tx, events::EventKind::kTrainingPollDue,
                                {{"scheduled_for", FormatRfc3339(FromUnixMillis(row->Int(0)))}})
                        .status());
    emitted = true;
    return tx
        .Exec("UPDATE wf_schedules SET next_due_ms = ? WHERE name = ?",
              {now + row->Int(1), std::string(kSchedule)})
        .status();
  }));
  return emitted;
}

Result<std::optional<TimePoint>> PollScheduler::NextDue() const {
  std::optional<TimePoint> next;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT next_due_ms, enabled FROM wf_schedules WHERE "
                                           "name = ?",
                                           {std::string(kSchedule)}));
    if (row && !row->IsNull(0) && row->Int(1) != 0) next = FromUnixMillis(row->Int(0));
    return Status::Ok();
  }));
  return next;
}

std::chrono::milliseconds PollScheduler::RunOnce() {
  auto ticked = Tick();
  if (!ticked.ok()) spdlog::warn("workflow: training poll: {}", ticked.status().ToString());
  auto next = NextDue();
  auto wait = std::chrono::milliseconds(60000);
  if (next.ok() && next->has_value()) {
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(**next - clock_.Now());
    wait = std::clamp(d, std::chrono::milliseconds(0), wait);
  }
  return wait;
}

Status PollScheduler::Start() { return loop_.Start(); }

void PollScheduler::Stop() { loop_.Stop(); }

}  // namespace loupe::workflow
