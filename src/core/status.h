#pragma once
// Status: the outcome of a fallible operation, with a canonical error code whose meaning
// doubles as a retry policy (after absl::Status):
//   kUnavailable        -> transient; retry with backoff
//   kAborted            -> a concurrent change won; re-read and retry
//   kFailedPrecondition -> the system is not in a state to do this; stop and ask a human
//   kInvalidArgument    -> the caller's input is wrong; never retry unchanged
// Statuses are small value types; thread-compatible.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace loupe {

template <typename E, std::size_t N>
struct EnumTable;  // core/enum_table.h (which needs Status, so it cannot be included here)

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
  kPayloadTooLarge,
};

// The one string table of StatusCode, in enum order (include core/enum_table.h to use it).
const EnumTable<StatusCode, 18>& StatusCodeNames();
// "InvalidArgument", "NotFound", ... (the JSON error codes of the HTTP API).
std::string_view StatusCodeName(StatusCode code);
// Inverse of StatusCodeName; kUnknown for an unknown name.
StatusCode StatusCodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: no such parameter 'x'".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context`: "context: message".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status ResourceExhaustedError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status DeadlineExceededError(std::string message);
Status UnimplementedError(std::string message);
Status CancelledError(std::string message);
Status PayloadTooLargeError(std::string message);

}  // namespace loupe

#define LOUPE_CONCAT_INNER_(a, b) a##b
#define LOUPE_CONCAT_(a, b) LOUPE_CONCAT_INNER_(a, b)

// Evaluates `expr` (a Status) and returns it from the enclosing function if not ok.
// NOLINTBEGIN(bugprone-macro-parentheses): declarations and statements as arguments.
#define RETURN_IF_ERROR(expr) RETURN_IF_ERROR_IMPL_(LOUPE_CONCAT_(loupe_status_, __LINE__), expr)
#define RETURN_IF_ERROR_IMPL_(var, expr) \
  do {                                   \
    ::loupe::Status var = (expr);        \
    if (!var.ok()) return var;           \
  } while (0)
// NOLINTEND(bugprone-macro-parentheses)
