#include "models/version_status.h"

#include <algorithm>
#include <array>
#include <string>

namespace loupe::models {
namespace {

using S = VersionStatus;

struct NameEntry {
  VersionStatus status;
  std::string_view name;
};

constexpr std::array<NameEntry, 8> kNames = {{
    {S::kTraining, "TRAINING_IN_PROGRESS"},
    {S::kTrainingCompleted, "TRAINING_COMPLETED"},
    {S::kTrainingFailed, "TRAINING_FAILED"},
    {S::kStarting, "STARTING"},
    {S::kRunning, "RUNNING"},
    {S::kStopping, "STOPPING"},
    {S::kStopped, "STOPPED"},
    {S::kFailed, "FAILED"},
}};

}  // namespace

std::string_view VersionStatusName(VersionStatus status) {
  for (const NameEntry& e : kNames) {
    if (e.status == status) return e.name;
  }
  return "UNKNOWN";
}

Result<VersionStatus> ParseVersionStatus(std::string_view name) {
  for (const NameEntry& e : kNames) {
    if (e.name == name) return e.status;
  }
  if (name == "TRAINING") return S::kTraining;
  return InvalidArgumentError("unknown model version status '" + std::string(name) + "'");
}

const std::vector<VersionStatus>& AllVersionStatuses() {
  static const std::vector<VersionStatus> kAll = [] {
    std::vector<VersionStatus> all;
    all.reserve(kNames.size());
    for (const NameEntry& e : kNames) all.push_back(e.status);
    return all;
  }();
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
