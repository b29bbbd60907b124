#include "models/version_status.h"

#include <gtest/gtest.h>

#include <set>

namespace loupe::models {
namespace {

using S = VersionStatus;

TEST(VersionStatus, NamesRoundTripAndAreTheCloudServicesNames) {
  std::set<std::string_view> names;
  for (S s : AllVersionStatuses()) {
    auto parsed = ParseVersionStatus(VersionStatusName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
    names.insert(VersionStatusName(s));
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"TRAINING_IN_PROGRESS", "TRAINING_COMPLETED",
                                               "TRAINING_FAILED", "STARTING", "RUNNING", "STOPPING",
                                               "STOPPED", "FAILED"}));
  EXPECT_EQ(*ParseVersionStatus("TRAINING"), S::kTraining);
  EXPECT_EQ(ParseVersionStatus("running").status().code(), StatusCode::kInvalidArgument);
}

TEST(VersionStatus, TransitionTableIsExactlyTheLifecycle) {
  const std::set<std::pair<S, S>> expected = {
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
  for (S from : AllVersionStatuses()) {
    for (S to : AllVersionStatuses()) {
      bool allowed = expected.count({from, to}) != 0;
      EXPECT_EQ(IsAllowedTransition(from, to), allowed)
          << VersionStatusName(from) << " -> " << VersionStatusName(to);
      EXPECT_EQ(CheckTransition(from, to).ok(), allowed);
    }
  }
}

TEST(VersionStatus, RefusalNamesBothStates) {
  Status s = CheckTransition(S::kRunning, S::kTrainingCompleted);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("RUNNING"), std::string::npos);
  EXPECT_NE(s.message().find("TRAINING_COMPLETED"), std::string::npos);
}

TEST(VersionStatus, TrainingFailedIsTerminalAndRunningIsNotStartable) {
  for (S to : AllVersionStatuses()) EXPECT_FALSE(IsAllowedTransition(S::kTrainingFailed, to));
  EXPECT_FALSE(IsStartable(S::kRunning));
  EXPECT_FALSE(IsStartable(S::kTraining));
  EXPECT_TRUE(IsStartable(S::kTrainingCompleted));
  EXPECT_TRUE(IsStartable(S::kStopped));
}

}  // namespace
}  // namespace loupe::models
