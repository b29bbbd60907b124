#pragma once
// LoginLimiter: slows down password guessing. Failed logins are counted per user name and per
// client address; after a number of free failures each further failure locks that key for a
// delay that doubles with every failure (capped), so a guesser gets 429 + Retry-After instead
// of another try. Counts are forgotten after a quiet period; a successful login clears its
// user name's count (not the address's, so one valid account cannot reset a guesser's
// address). Time comes from the injected Clock. In memory, per process. Thread-safe.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"

namespace loupe::auth {

struct LoginLimits {
  int free_failures_per_user = 5;
  int free_failures_per_address = 20;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{std::chrono::minutes(15)};
  std::chrono::seconds forget_after{std::chrono::hours(1)};  // quiet time that clears a count
  size_t max_entries = 100000;  // memory bound; the oldest entries are dropped first
};

class LoginLimiter {
 public:
  explicit LoginLimiter(const Clock& clock, LoginLimits limits = {})
      : clock_(clock), limits_(limits) {}

  // How long the caller must wait before trying `user` from `address`; nullopt = try now.
  std::optional<std::chrono::seconds> RetryAfter(const std::string& user,
                                                 const std::string& address);
  void RecordFailure(const std::string& user, const std::string& address);
  void RecordSuccess(const std::string& user);

 private:
  struct Entry {
    int failures = 0;
    TimePoint last_failure;
  };
  // Seconds `key` is still locked (0 = not locked). REQUIRES: mu_ held.
  std::chrono::seconds LockedFor(const std::string& key, int free_failures, TimePoint now);
  void Fail(const std::string& key, TimePoint now);  // REQUIRES: mu_ held
  void Prune(TimePoint now);                         // REQUIRES: mu_ held

  const Clock& clock_;
  const LoginLimits limits_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "u:<name>" and "a:<address>"
};

}  // namespace loupe::auth
