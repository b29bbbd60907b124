#pragma once
// The lifecycle of a model version (DESIGN.md §8), as one enum, one string table and one pure
// transition function. The persisted and API names are those of the replaced cloud service
// (TRAINING_IN_PROGRESS, ..., RUNNING). Pure functions; thread-safe.
//
//   TRAINING_IN_PROGRESS -> TRAINING_COMPLETED | TRAINING_FAILED
//   TRAINING_COMPLETED | STOPPED | FAILED -> STARTING      (FAILED: a retry after the fix)
//   STARTING -> RUNNING | FAILED | STOPPING
//   RUNNING  -> STOPPING | FAILED
//   STOPPING -> STOPPED | FAILED

#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace loupe::models {

enum class VersionStatus {
  kTraining,
  kTrainingCompleted,
  kTrainingFailed,
  kStarting,
  kRunning,
  kStopping,
  kStopped,
  kFailed,
};

// "TRAINING_IN_PROGRESS", "TRAINING_COMPLETED", ... (persisted and shown in the API).
std::string_view VersionStatusName(VersionStatus status);
// Inverse of VersionStatusName (also accepts "TRAINING"); InvalidArgument otherwise.
Result<VersionStatus> ParseVersionStatus(std::string_view name);
// Every status, in lifecycle order.
const std::vector<VersionStatus>& AllVersionStatuses();

// The table of allowed transitions (from, to).
const std::vector<std::pair<VersionStatus, VersionStatus>>& AllowedTransitions();
bool IsAllowedTransition(VersionStatus from, VersionStatus to);
// Ok if allowed; FailedPrecondition "version is RUNNING; it cannot become TRAINING_COMPLETED".
Status CheckTransition(VersionStatus from, VersionStatus to);

// Whether a version in `status` can be started (its artifact is complete).
bool IsStartable(VersionStatus status);

}  // namespace loupe::models
