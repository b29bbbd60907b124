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

#include "core/enum_table.h"
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

// The one string table of VersionStatus, in lifecycle order; persisted statuses
// (model_versions, model_version_transitions) and the API go through it.
inline constexpr EnumTable<VersionStatus, 8> kVersionStatusNames{{{
    {VersionStatus::kTraining, "TRAINING_IN_PROGRESS"},
    {VersionStatus::kTrainingCompleted, "TRAINING_COMPLETED"},
    {VersionStatus::kTrainingFailed, "TRAINING_FAILED"},
    {VersionStatus::kStarting, "STARTING"},
    {VersionStatus::kRunning, "RUNNING"},
    {VersionStatus::kStopping, "STOPPING"},
    {VersionStatus::kStopped, "STOPPED"},
    {VersionStatus::kFailed, "FAILED"},
}}};

// "TRAINING_IN_PROGRESS", "TRAINING_COMPLETED", ... (persisted and shown in the API).
inline std::string_view VersionStatusName(VersionStatus status) {
  return kVersionStatusNames.Name(status);
}
// Inverse of VersionStatusName (also accepts "TRAINING"); InvalidArgument otherwise.
Result<VersionStatus> ParseVersionStatus(std::string_view name);
// Every status, in lifecycle order (kVersionStatusNames.Values()).
const std::vector<VersionStatus>& AllVersionStatuses();

// The table of allowed transitions (from, to).
const std::vector<std::pair<VersionStatus, VersionStatus>>& AllowedTransitions();
bool IsAllowedTransition(VersionStatus from, VersionStatus to);
// Ok if allowed; FailedPrecondition "version is RUNNING; it cannot become TRAINING_COMPLETED".
Status CheckTransition(VersionStatus from, VersionStatus to);

// Whether a version in `status` can be started (its artifact is complete).
bool IsStartable(VersionStatus status);

}  // namespace loupe::models
