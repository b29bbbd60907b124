#include "core/background_loop.h"

#include <utility>

namespace loupe {

BackgroundLoop::BackgroundLoop(std::string name, Step step)
    : name_(std::move(name)), step_(std::move(step)) {}

BackgroundLoop::~BackgroundLoop() { Stop(); }

Status BackgroundLoop::Start() {
  std::lock_guard<std::mutex> start_stop(start_stop_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return FailedPreconditionError(name_ + " already started");
  stopping_ = false;
  woken_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void BackgroundLoop::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void BackgroundLoop::Stop() {
  std::lock_guard<std::mutex> start_stop(start_stop_mu_);
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

bool BackgroundLoop::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return thread_.joinable() && !stopping_;
}

void BackgroundLoop::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    std::chrono::milliseconds wait = step_();
    lock.lock();
    if (wait.count() > 0) {
      cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    }
  }
}

}  // namespace loupe
