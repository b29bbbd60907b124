#include "core/status.h"

#include <utility>

#include "core/enum_table.h"

namespace loupe {
namespace {

constexpr EnumTable<StatusCode, 18> kCodeNames{{{
    {StatusCode::kOk, "Ok"},
    {StatusCode::kCancelled, "Cancelled"},
    {StatusCode::kUnknown, "Unknown"},
    {StatusCode::kInvalidArgument, "InvalidArgument"},
    {StatusCode::kDeadlineExceeded, "DeadlineExceeded"},
    {StatusCode::kNotFound, "NotFound"},
    {StatusCode::kAlreadyExists, "AlreadyExists"},
    {StatusCode::kPermissionDenied, "PermissionDenied"},
    {StatusCode::kResourceExhausted, "ResourceExhausted"},
    {StatusCode::kFailedPrecondition, "FailedPrecondition"},
    {StatusCode::kAborted, "Aborted"},
    {StatusCode::kOutOfRange, "OutOfRange"},
    {StatusCode::kUnimplemented, "Unimplemented"},
    {StatusCode::kInternal, "Internal"},
    {StatusCode::kUnavailable, "Unavailable"},
    {StatusCode::kDataLoss, "DataLoss"},
    {StatusCode::kUnauthenticated, "Unauthenticated"},
    {StatusCode::kPayloadTooLarge, "PayloadTooLarge"},
}}};

}  // namespace

const EnumTable<StatusCode, 18>& StatusCodeNames() { return kCodeNames; }

std::string_view StatusCodeName(StatusCode code) { return kCodeNames.Name(code); }

StatusCode StatusCodeFromName(std::string_view name) {
  return kCodeNames.Find(name).value_or(StatusCode::kUnknown);
}

std::string Status::ToString() const {
  if (ok()) return "Ok";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }

#define LOUPE_DEFINE_ERROR(fn, code) \
  Status fn(std::string message) { return Status(StatusCode::code, std::move(message)); }
LOUPE_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
LOUPE_DEFINE_ERROR(NotFoundError, kNotFound)
LOUPE_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
LOUPE_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
LOUPE_DEFINE_ERROR(AbortedError, kAborted)
LOUPE_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
LOUPE_DEFINE_ERROR(InternalError, kInternal)
LOUPE_DEFINE_ERROR(UnavailableError, kUnavailable)
LOUPE_DEFINE_ERROR(DataLossError, kDataLoss)
LOUPE_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
LOUPE_DEFINE_ERROR(PermissionDeniedError, kPermissionDenied)
LOUPE_DEFINE_ERROR(UnauthenticatedError, kUnauthenticated)
LOUPE_DEFINE_ERROR(DeadlineExceededError, kDeadlineExceeded)
LOUPE_DEFINE_ERROR(UnimplementedError, kUnimplemented)
LOUPE_DEFINE_ERROR(CancelledError, kCancelled)
LOUPE_DEFINE_ERROR(PayloadTooLargeError, kPayloadTooLarge)
#undef LOUPE_DEFINE_ERROR

}  // namespace loupe
