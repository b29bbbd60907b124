// The model-version lifecycle as a specification: properties checked over every status and every
// (from, to) pair generated from AllVersionStatuses(), and the lifecycle documented in
// version_status.h checked against the table as an independent expectation (written by name in
// the header's own notation, parsed here), so a wrong table entry fails whichever way it is wrong.
#include "models/version_status.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

namespace loupe::models {
namespace {

using S = VersionStatus;
using Pair = std::pair<S, S>;

std::string Name(S s) { return std::string(VersionStatusName(s)); }
std::string Name(const Pair& p) { return Name(p.first) + " -> " + Name(p.second); }

// The lifecycle diagram of version_status.h, line by line: "A | B -> C | D" allows every
// A->C, A->D, B->C, B->D.
constexpr const char* kDocumentedLifecycle = R"(
  TRAINING_IN_PROGRESS -> TRAINING_COMPLETED | TRAINING_FAILED
  TRAINING_COMPLETED | STOPPED | FAILED -> STARTING
  STARTING -> RUNNING | FAILED | STOPPING
  RUNNING  -> STOPPING | FAILED
  STOPPING -> STOPPED | FAILED
)";

// The statuses named in "A | B | C".
std::vector<S> ParseAlternatives(const std::string& text) {
  std::vector<S> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word == "|") continue;
    Result<S> s = ParseVersionStatus(word);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) out.push_back(*s);
  }
  return out;
}

std::set<Pair> ParseLifecycle(const std::string& diagram) {
  std::set<Pair> out;
  std::istringstream lines(diagram);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    size_t arrow = line.find("->");
    EXPECT_NE(arrow, std::string::npos) << line;
    if (arrow == std::string::npos) continue;
    for (S from : ParseAlternatives(line.substr(0, arrow))) {
      for (S to : ParseAlternatives(line.substr(arrow + 2))) out.insert({from, to});
    }
  }
  return out;
}

std::set<Pair> Table() { return {AllowedTransitions().begin(), AllowedTransitions().end()}; }

// Every status reachable from `start` in one or more allowed transitions.
std::set<S> ReachableFrom(S start) {
  std::set<S> seen;
  std::vector<S> todo = {start};
  while (!todo.empty()) {
    S from = todo.back();
    todo.pop_back();
    for (S to : AllVersionStatuses()) {
      if (IsAllowedTransition(from, to) && seen.insert(to).second) todo.push_back(to);
    }
  }
  return seen;
}

TEST(VersionStatus, EveryStatusHasAUniqueNameThatRoundTrips) {
  std::set<std::string_view> names;
  for (S s : AllVersionStatuses()) {
    std::string_view name = VersionStatusName(s);
    EXPECT_NE(name, "UNKNOWN") << static_cast<int>(s);
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    Result<S> parsed = ParseVersionStatus(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s) << name;
  }
  EXPECT_EQ(names.size(), AllVersionStatuses().size());
  // The persisted and API names are those of the replaced cloud service.
  EXPECT_EQ(names, (std::set<std::string_view>{"TRAINING_IN_PROGRESS", "TRAINING_COMPLETED",
                                               "TRAINING_FAILED", "STARTING", "RUNNING", "STOPPING",
                                               "STOPPED", "FAILED"}));
  EXPECT_EQ(*ParseVersionStatus("TRAINING"), S::kTraining);  // the accepted alias
  for (const char* bad : {"running", "", "TRAINING_IN_PROGRESS ", "UNKNOWN"}) {
    Result<S> r = ParseVersionStatus(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST(VersionStatus, TheTableOnlyNamesKnownStatusesOnceAndNeverLoops) {
  const std::set<S> all(AllVersionStatuses().begin(), AllVersionStatuses().end());
  EXPECT_EQ(Table().size(), AllowedTransitions().size()) << "a transition is listed twice";
  for (const Pair& p : AllowedTransitions()) {
    EXPECT_TRUE(all.count(p.first) && all.count(p.second)) << Name(p);
    EXPECT_NE(p.first, p.second) << Name(p) << ": a status never transitions to itself";
  }
}

// Generated from the statuses: every pair the table allows is accepted, every other pair is
// refused with FailedPrecondition naming both states — by both entry points.
TEST(VersionStatus, EveryPairIsAcceptedIffTheTableAllowsItAndRefusedWithFailedPrecondition) {
  const std::set<Pair> table = Table();
  int accepted = 0;
  int refused = 0;
  for (S from : AllVersionStatuses()) {
    for (S to : AllVersionStatuses()) {
      const Pair p{from, to};
      const bool allowed = table.count(p) != 0;
      EXPECT_EQ(IsAllowedTransition(from, to), allowed) << Name(p);
      Status s = CheckTransition(from, to);
      if (allowed) {
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
  const int n = static_cast<int>(AllVersionStatuses().size());
  EXPECT_EQ(accepted, static_cast<int>(table.size()));
  EXPECT_EQ(accepted + refused, n * n);
}

// The documented lifecycle (version_status.h) and the table agree, both ways.
TEST(VersionStatus, TheTableIsTheDocumentedLifecycle) {
  const std::set<Pair> documented = ParseLifecycle(kDocumentedLifecycle);
  const std::set<Pair> table = Table();
  for (const Pair& p : documented)
    EXPECT_TRUE(table.count(p)) << "documented, refused: " << Name(p);
  for (const Pair& p : table)
    EXPECT_TRUE(documented.count(p)) << "allowed, undocumented: " << Name(p);
}

TEST(VersionStatus, EveryStatusIsReachableFromTrainingAndNothingLeadsBackToIt) {
  std::set<S> reachable = ReachableFrom(S::kTraining);
  reachable.insert(S::kTraining);
  for (S s : AllVersionStatuses()) EXPECT_TRUE(reachable.count(s)) << Name(s) << " unreachable";
  // A version is trained once: nothing enters TRAINING_IN_PROGRESS, and only it leads to the
  // two outcomes of training.
  for (S from : AllVersionStatuses()) {
    EXPECT_FALSE(IsAllowedTransition(from, S::kTraining)) << Name(from);
    if (from == S::kTraining) continue;
    EXPECT_FALSE(IsAllowedTransition(from, S::kTrainingCompleted)) << Name(from);
    EXPECT_FALSE(IsAllowedTransition(from, S::kTrainingFailed)) << Name(from);
  }
}

TEST(VersionStatus, TrainingFailedIsTheOnlyTerminalStatusAndEveryOtherCanStillRun) {
  for (S s : AllVersionStatuses()) {
    const std::set<S> next = ReachableFrom(s);
    if (s == S::kTrainingFailed) {
      EXPECT_TRUE(next.empty()) << "TRAINING_FAILED must be terminal";
      continue;
    }
    // Short of a failed training, a version can always (re)start and come to serve again.
    EXPECT_TRUE(next.count(S::kRunning)) << Name(s) << " can never run (again)";
  }
}

TEST(VersionStatus, ServingStatusesCanFailAndRunningIsEnteredOnlyThroughStarting) {
  for (S s : {S::kStarting, S::kRunning, S::kStopping}) {
    EXPECT_TRUE(IsAllowedTransition(s, S::kFailed)) << Name(s);
  }
  std::map<S, std::set<S>> into;
  for (const Pair& p : AllowedTransitions()) into[p.second].insert(p.first);
  EXPECT_EQ(into[S::kRunning], std::set<S>{S::kStarting});
  EXPECT_EQ(into[S::kStopped], std::set<S>{S::kStopping});
  EXPECT_EQ(into[S::kStopping], (std::set<S>{S::kStarting, S::kRunning}));
}

TEST(VersionStatus, IsStartableIsExactlyAnAllowedTransitionToStarting) {
  std::set<S> startable;
  for (S s : AllVersionStatuses()) {
    EXPECT_EQ(IsStartable(s), IsAllowedTransition(s, S::kStarting)) << Name(s);
    if (IsStartable(s)) startable.insert(s);
  }
  // A complete artifact that is not being served, or one whose start failed (a retry).
  EXPECT_EQ(startable, (std::set<S>{S::kTrainingCompleted, S::kStopped, S::kFailed}));
}

}  // namespace
}  // namespace loupe::models
