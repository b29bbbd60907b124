#include "auth/login_limiter.h"

#include <algorithm>
#include <vector>

namespace loupe::auth {
namespace {

std::string UserKey(const std::string& user) { return "u:" + user; }
std::string AddressKey(const std::string& address) { return "a:" + address; }

}  // namespace

std::chrono::seconds LoginLimiter::LockedFor(const std::string& key, int free_failures,
                                             TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::chrono::seconds(0);
  const Entry& e = it->second;
  if (now - e.last_failure >= limits_.forget_after) {
    entries_.erase(it);
    return std::chrono::seconds(0);
  }
  if (e.failures < free_failures) return std::chrono::seconds(0);
  // 1st failure over the allowance: first_delay; each further one doubles it, up to max_delay.
  int doublings = std::min(e.failures - free_failures, 30);
  auto delay = std::min<std::chrono::seconds>(limits_.first_delay * (int64_t{1} << doublings),
                                              limits_.max_delay);
  Duration left = e.last_failure + delay - now;
  if (left <= Duration::zero()) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(left);
}

std::optional<std::chrono::seconds> LoginLimiter::RetryAfter(const std::string& user,
                                                             const std::string& address) {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  auto wait = std::max(LockedFor(UserKey(user), limits_.free_failures_per_user, now),
                       LockedFor(AddressKey(address), limits_.free_failures_per_address, now));
  if (wait.count() <= 0) return std::nullopt;
  return wait;
}

void LoginLimiter::Fail(const std::string& key, TimePoint now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure >= limits_.forget_after) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
}

void LoginLimiter::RecordFailure(const std::string& user, const std::string& address) {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  Fail(UserKey(user), now);
  Fail(AddressKey(address), now);
  if (entries_.size() > limits_.max_entries) Prune(now);
}

void LoginLimiter::RecordSuccess(const std::string& user) {
  std::lock_guard lock(mu_);
  entries_.erase(UserKey(user));
}

void LoginLimiter::Prune(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.last_failure >= limits_.forget_after ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() <= limits_.max_entries) return;
  // Still too many (a flood of distinct names): drop the oldest half.
  std::vector<std::pair<TimePoint, std::string>> by_age;
  by_age.reserve(entries_.size());
  for (const auto& [key, e] : entries_) by_age.emplace_back(e.last_failure, key);
  std::sort(by_age.begin(), by_age.end());
  for (size_t i = 0; i < by_age.size() / 2; ++i) entries_.erase(by_age[i].second);
}

}  // namespace loupe::auth
