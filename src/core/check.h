#pragma once
// CHECK(cond) << "message": aborts the process with a message when an internal invariant is
// broken. Must be unreachable from user input: bad input gets a Status, never a CHECK.

#include <sstream>

namespace loupe::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `CHECK(c) << x` compile as a void expression in both branches of the ternary.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace loupe::internal

// NOLINTBEGIN(bugprone-macro-parentheses): declarations and statements as arguments.
#define LOUPE_CHECK(condition)                 \
  (condition) ? (void)0                        \
              : ::loupe::internal::Voidify() & \
                    ::loupe::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()
// NOLINTEND(bugprone-macro-parentheses)

// CHECK is LOUPE_CHECK unless a dependency (glog, through libtorch) already defined its own
// equivalent CHECK, which then serves in that translation unit.
#ifndef CHECK
#define CHECK(condition) LOUPE_CHECK(condition)
#endif
