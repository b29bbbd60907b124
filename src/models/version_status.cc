#include "models/version_status.h"

#include <algorithm>
#include <string>

namespace loupe::models {
namespace {

using S = VersionStatus;

}  // namespace

Result<VersionStatus> ParseVersionStatus(std::string_view name) {
  if (name == "TRAINING") return S::kTraining;  // the accepted input alias
  return kVersionStatusNames.Parse(name, "model version status");
}

const std::vector<VersionStatus>& AllVersionStatuses() {
  static const std::vector<VersionStatus> kAll = kVersionStatusNames.Values();
  return kAll;
}

const std::vector<std::pair<VersionStatus, VersionStatus>>& AllowedTransitions() {
  static const std::vector<std::pair<VersionStatus, VersionStatus>> kTable = {
      {S::kTraining, S::kTrainingCompleted},
      {S::kTraining, S::kTrainingFailed},
      {S::kTrainingCompleted, S::kStarting},
      {S::kStopped, S::kStarting},
      {S::kFailed, S::kStarting},
      {S::kStarting, S::kRunning},
      {S::kStarting, S::kFailed},
      {S::kStarting, S::kStopping},
      {S::kRunning, S::kStopping},
      {S::kRunning, S::kFailed},
      {S::kStopping, S::kStopped},
      {S::kStopping, S::kFailed},
  };
  return kTable;
}

bool IsAllowedTransition(VersionStatus from, VersionStatus to) {
  const auto& table = AllowedTransitions();
  return std::find(table.begin(), table.end(), std::make_pair(from, to)) != table.end();
}

Status CheckTransition(VersionStatus from, VersionStatus to) {
  if (IsAllowedTransition(from, to)) return Status::Ok();
  return FailedPreconditionError("version is " + std::string(VersionStatusName(from)) +
                                 "; it cannot become " + std::string(VersionStatusName(to)));
}

bool IsStartable(VersionStatus status) { return IsAllowedTransition(status, S::kStarting); }

}  // namespace loupe::models
