#include "models/unit_pool.h"

#include <algorithm>

#include "core/check.h"

namespace loupe::models {

UnitPool::UnitPool(std::shared_ptr<const ml::Predictor> predictor, int units, PoolOptions options)
    : predictor_(std::move(predictor)), options_(options) {
  CHECK(predictor_ != nullptr) << "UnitPool needs a predictor";
  CHECK(units >= 1) << "UnitPool needs at least one unit";
  std::lock_guard lock(mu_);
  for (int i = 0; i < units; ++i) StartUnitLocked();
}

UnitPool::~UnitPool() { Shutdown(); }

void UnitPool::StartUnitLocked() {
  auto unit = std::make_unique<Unit>();
  unit->number = next_number_++;
  Unit* raw = unit.get();
  active_.push_back(std::move(unit));
  raw->thread = std::thread([this, raw] { Work(raw); });
}

void UnitPool::Work(Unit* unit) {
  std::unique_lock lock(mu_);
  while (true) {
    unit->cv.wait(lock, [unit] { return !unit->queue.empty() || unit->retiring; });
    if (unit->queue.empty()) break;  // retiring and drained
    Task task = std::move(unit->queue.front());
    unit->queue.pop_front();
    unit->busy = true;
    space_cv_.notify_all();
    lock.unlock();
    task(*predictor_, unit->number);
    task = nullptr;  // release captured state before reporting completion
    lock.lock();
    unit->busy = false;
    ++completed_;
  }
  unit->exited = true;
}

Status UnitPool::Submit(Task task) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.admission_timeout;
  while (true) {
    if (shut_down_) return UnavailableError("the model version's inference units are stopped");
    Unit* best = nullptr;
    for (const auto& u : active_) {
      if (static_cast<int>(u->queue.size()) >= options_.queue_capacity) continue;
      auto load = [](const Unit* x) { return x->queue.size() + (x->busy ? 1 : 0); };
      if (best == nullptr || load(u.get()) < load(best)) best = u.get();
    }
    if (best != nullptr) {
      best->queue.push_back(std::move(task));
      best->cv.notify_one();
      return Status::Ok();
    }
    if (space_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // One last look: space may have been freed right at the deadline.
      bool space = std::any_of(active_.begin(), active_.end(), [this](const auto& u) {
        return static_cast<int>(u->queue.size()) < options_.queue_capacity;
      });
      if (!space || shut_down_) {
        ++rejected_;
        return ResourceExhaustedError("all " + std::to_string(active_.size()) +
                                      " inference units are busy (queue " +
                                      std::to_string(options_.queue_capacity) +
                                      " each); retry later or raise "
                                      "Minimum-Inference-Units");
      }
    }
  }
}

Status UnitPool::Resize(int units) {
  if (units < 1) return InvalidArgumentError("a running version needs at least 1 unit");
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return UnavailableError("the model version's inference units are stopped");
    while (static_cast<int>(active_.size()) < units) StartUnitLocked();
    while (static_cast<int>(active_.size()) > units) {
      // Retire the newest unit: it finishes its queue and exits; new tasks go elsewhere.
      std::unique_ptr<Unit> u = std::move(active_.back());
      active_.pop_back();
      u->retiring = true;
      u->cv.notify_one();
      retiring_.push_back(std::move(u));
    }
    space_cv_.notify_all();
  }
  ReapRetired();
  return Status::Ok();
}

void UnitPool::ReapRetired() {
  std::vector<std::unique_ptr<Unit>> done;
  {
    std::lock_guard lock(mu_);
    for (auto it = retiring_.begin(); it != retiring_.end();) {
      if ((*it)->exited) {
        done.push_back(std::move(*it));
        it = retiring_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& u : done) u->thread.join();
}

void UnitPool::Shutdown() {
  std::vector<std::unique_ptr<Unit>> all;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    for (auto& u : active_) all.push_back(std::move(u));
    for (auto& u : retiring_) all.push_back(std::move(u));
    active_.clear();
    retiring_.clear();
    for (auto& u : all) {
      u->retiring = true;
      u->cv.notify_one();
    }
    space_cv_.notify_all();
  }
  for (auto& u : all) {
    if (u->thread.joinable()) u->thread.join();
  }
}

PoolStats UnitPool::Stats() const {
  std::lock_guard lock(mu_);
  PoolStats s;
  s.units = static_cast<int>(active_.size());
  for (const auto& u : retiring_) {
    if (!u->exited) ++s.retiring_units;
  }
  auto count = [&s](const std::vector<std::unique_ptr<Unit>>& units) {
    for (const auto& u : units) {
      s.queued += static_cast<int>(u->queue.size());
      s.busy += u->busy ? 1 : 0;
    }
  };
  count(active_);
  count(retiring_);
  s.completed = completed_;
  s.rejected = rejected_;
  return s;
}

}  // namespace loupe::models
