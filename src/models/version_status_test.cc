// The model-version lifecycle as a specification. The states come from the string table
// (kVersionStatusNames.Values()), never from a list copied here; the expectation comes from an
// independent statement of the documented lifecycle (kDocumentedLifecycle below, written once),
// and every (from, to) pair of states is checked against it, so a wrong table entry (a missing
// transition, an extra one, a wrong name) fails as an error, not only as a change.
#include "models/version_status.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace loupe::models {
namespace {

using S = VersionStatus;
using Pair = std::pair<S, S>;

// The lifecycle of docs/serving.md and version_status.h, line by line in the diagram's own
// notation: "A | B -> C | D" allows A->C, A->D, B->C and B->D.
struct DiagramLine {
  std::vector<S> from;
  std::vector<S> to;
};
const std::vector<DiagramLine> kLifecycleDiagram = {
    {{S::kTraining}, {S::kTrainingCompleted, S::kTrainingFailed}},
    {{S::kTrainingCompleted, S::kStopped, S::kFailed}, {S::kStarting}},
    {{S::kStarting}, {S::kRunning, S::kFailed, S::kStopping}},
    {{S::kRunning}, {S::kStopping, S::kFailed}},
    {{S::kStopping}, {S::kStopped, S::kFailed}},
};

// Every allowed (from, to) pair of the diagram.
std::set<Pair> DocumentedPairs() {
  std::set<Pair> out;
  for (const DiagramLine& line : kLifecycleDiagram) {
    for (S from : line.from) {
      for (S to : line.to) out.insert({from, to});
    }
  }
  return out;
}
const std::set<Pair> kDocumentedLifecycle = DocumentedPairs();

// The persisted and API names (those of the replaced cloud service), by value.
const std::map<S, std::string> kPersistedNames = {
    {S::kTraining, "TRAINING_IN_PROGRESS"},
    {S::kTrainingCompleted, "TRAINING_COMPLETED"},
    {S::kTrainingFailed, "TRAINING_FAILED"},
    {S::kStarting, "STARTING"},
    {S::kRunning, "RUNNING"},
    {S::kStopping, "STOPPING"},
    {S::kStopped, "STOPPED"},
    {S::kFailed, "FAILED"},
};

std::vector<S> States() { return kVersionStatusNames.Values(); }

std::string Name(S s) { return std::string(VersionStatusName(s)); }
std::string Name(const Pair& p) { return Name(p.first) + " -> " + Name(p.second); }

// Every status reachable from `start` in one or more allowed transitions.
std::set<S> ReachableFrom(S start) {
  std::set<S> seen;
  std::vector<S> todo = {start};
  while (!todo.empty()) {
    S from = todo.back();
    todo.pop_back();
    for (S to : States()) {
      if (IsAllowedTransition(from, to) && seen.insert(to).second) todo.push_back(to);
    }
  }
  return seen;
}

TEST(VersionStatus, TheTableNamesEveryStatusOnceWithItsPersistedName) {
  // The enum is dense from 0 to kFailed: every enumerator is in the table, exactly once.
  const std::vector<S> states = States();
  const std::set<S> distinct(states.begin(), states.end());
  EXPECT_EQ(distinct.size(), states.size()) << "a status is listed twice";
  EXPECT_EQ(static_cast<int>(states.size()), static_cast<int>(S::kFailed) + 1);
  for (int i = 0; i <= static_cast<int>(S::kFailed); ++i) {
    EXPECT_TRUE(distinct.count(static_cast<S>(i))) << "status " << i << " has no name";
  }
  EXPECT_EQ(AllVersionStatuses(), states);
  for (S s : states) {
    ASSERT_TRUE(kPersistedNames.count(s)) << static_cast<int>(s);
    EXPECT_EQ(VersionStatusName(s), kPersistedNames.at(s));
  }
}

TEST(VersionStatus, EveryNameRoundTripsAndUnknownNamesAreInvalidArgument) {
  for (S s : States()) {
    Result<S> parsed = ParseVersionStatus(VersionStatusName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s) << Name(s);
  }
  EXPECT_EQ(*ParseVersionStatus("TRAINING"), S::kTraining);  // the accepted alias
  for (const char* bad : {"running", "", "TRAINING_IN_PROGRESS ", "UNKNOWN"}) {
    Result<S> r = ParseVersionStatus(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

// The property: over every (from, to) pair of states, a transition is accepted iff the
// documented lifecycle allows it; every other one is refused with FailedPrecondition naming
// both states — by both entry points, and the table lists exactly the documented pairs.
TEST(VersionStatus, TransitionTableIsExactlyTheLifecycle) {
  int accepted = 0;
  int refused = 0;
  for (S from : States()) {
    for (S to : States()) {
      const Pair p{from, to};
      const bool documented = kDocumentedLifecycle.count(p) != 0;
      EXPECT_EQ(IsAllowedTransition(from, to), documented)
          << Name(p) << (documented ? ": documented, refused" : ": allowed, undocumented");
      Status s = CheckTransition(from, to);
      if (documented) {
        EXPECT_TRUE(s.ok()) << Name(p) << ": " << s;
        ++accepted;
      } else {
        EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << Name(p) << ": " << s;
        EXPECT_NE(s.message().find("is " + Name(from)), std::string::npos) << s;
        EXPECT_NE(s.message().find("become " + Name(to)), std::string::npos) << s;
        ++refused;
      }
    }
  }
  const int n = static_cast<int>(States().size());
  EXPECT_EQ(accepted, static_cast<int>(kDocumentedLifecycle.size()));
  EXPECT_EQ(accepted + refused, n * n);
  const std::set<Pair> table(AllowedTransitions().begin(), AllowedTransitions().end());
  EXPECT_EQ(table.size(), AllowedTransitions().size()) << "a transition is listed twice";
  EXPECT_EQ(table, kDocumentedLifecycle);
}

TEST(VersionStatus, IsStartableIsExactlyADocumentedTransitionToStarting) {
  for (S s : States()) {
    EXPECT_EQ(IsStartable(s), kDocumentedLifecycle.count({s, S::kStarting}) != 0) << Name(s);
  }
}

// Properties of the lifecycle itself (they hold of the documented set, so of the table).
TEST(VersionStatus, EveryStatusIsReachableFromTrainingAndNothingLeadsBackToIt) {
  std::set<S> reachable = ReachableFrom(S::kTraining);
  reachable.insert(S::kTraining);
  for (S s : States()) EXPECT_TRUE(reachable.count(s)) << Name(s) << " unreachable";
  // A version is trained once: nothing enters TRAINING_IN_PROGRESS, and only it leads to the
  // two outcomes of training.
  for (S from : States()) {
    EXPECT_FALSE(IsAllowedTransition(from, S::kTraining)) << Name(from);
    EXPECT_FALSE(IsAllowedTransition(from, from)) << Name(from) << " loops onto itself";
    if (from == S::kTraining) continue;
    EXPECT_FALSE(IsAllowedTransition(from, S::kTrainingCompleted)) << Name(from);
    EXPECT_FALSE(IsAllowedTransition(from, S::kTrainingFailed)) << Name(from);
  }
}

TEST(VersionStatus, TrainingFailedIsTheOnlyTerminalStatusAndEveryOtherCanStillRun) {
  for (S s : States()) {
    const std::set<S> next = ReachableFrom(s);
    if (s == S::kTrainingFailed) {
      EXPECT_TRUE(next.empty()) << "TRAINING_FAILED must be terminal";
      continue;
    }
    // Short of a failed training, a version can always (re)start and come to serve again.
    EXPECT_TRUE(next.count(S::kRunning)) << Name(s) << " can never run (again)";
  }
}

}  // namespace
}  // namespace loupe::models
