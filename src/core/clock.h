#pragma once
// Clock: the only source of "now" for loupe's logic. Code takes a `const Clock&`; production
// wires SystemClock, tests wire FakeClock and advance it by hand (no sleeping in tests).
// Both implementations are thread-safe.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace loupe {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z unless told otherwise.
  FakeClock();
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  void Advance(Duration d);
  void Set(TimePoint t);

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// Milliseconds since the Unix epoch (the representation stored in the database).
int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
// RFC 3339 in UTC with milliseconds: "2026-11-26T13:26:14.123Z".
std::string FormatRfc3339(TimePoint t);
// Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction).
Result<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace loupe
