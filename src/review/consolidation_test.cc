// Consolidate, table-driven: every branch (answers still missing, a strict majority of a label
// or of "none of these", a tie, all different) at the task counts a loop may ask for.
#include "review/consolidation.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace loupe::review {
namespace {

using Labels = std::vector<std::optional<std::string>>;
constexpr auto kWaiting = ConsolidationOutcome::kWaiting;
constexpr auto kDecided = ConsolidationOutcome::kDecided;
constexpr auto kEscalated = ConsolidationOutcome::kEscalated;
const std::optional<std::string> kNone;  // "none of these"

struct Case {
  const char* what;
  int task_count;
  Labels labels;
  Consolidation want;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      // Waiting: fewer answers than TaskCount, even when those in already agree.
      {"no answer of one", 1, {}, {kWaiting, kNone}},
      {"no answer of three", 3, {}, {kWaiting, kNone}},
      {"one of two", 2, {"acme"}, {kWaiting, kNone}},
      {"two agreeing of three", 3, {"acme", "acme"}, {kWaiting, kNone}},
      {"four of five", 5, {"acme", "acme", "acme", "globex"}, {kWaiting, kNone}},
      // Decided: a strict majority of TaskCount.
      {"the only answer", 1, {"acme"}, {kDecided, "acme"}},
      {"the only answer is none", 1, {kNone}, {kDecided, kNone}},
      {"two of two agree", 2, {"acme", "acme"}, {kDecided, "acme"}},
      {"two of three", 3, {"acme", "globex", "acme"}, {kDecided, "acme"}},
      {"two of three say none", 3, {kNone, "acme", kNone}, {kDecided, kNone}},
      {"three of three", 3, {"globex", "globex", "globex"}, {kDecided, "globex"}},
      {"three of four", 4, {"acme", "globex", "acme", "acme"}, {kDecided, "acme"}},
      {"three of five", 5, {"a", "b", "b", "a", "b"}, {kDecided, "b"}},
      {"a new label wins like any other", 3, {"initech", "initech", "acme"}, {kDecided, "initech"}},
      // Escalated: all in, no strict majority.
      {"one-one tie", 2, {"acme", "globex"}, {kEscalated, kNone}},
      {"a label against none", 2, {"acme", kNone}, {kEscalated, kNone}},
      {"three different", 3, {"acme", "globex", kNone}, {kEscalated, kNone}},
      {"two-two tie of four", 4, {"acme", "globex", "globex", "acme"}, {kEscalated, kNone}},
      {"two-two-one of five", 5, {"a", "b", "a", "b", kNone}, {kEscalated, kNone}},
  };
  return kCases;
}

std::string Name(ConsolidationOutcome o) { return std::string(kConsolidationOutcomeNames.Name(o)); }

TEST(Consolidate, DecidesEveryCaseOfTheTable) {
  for (const Case& c : Cases()) {
    Consolidation got = Consolidate(c.labels, {c.task_count});
    EXPECT_EQ(got, c.want) << c.what << ": got " << Name(got.outcome) << " "
                           << got.label.value_or("(none)");
  }
}

TEST(Consolidate, TheOrderOfTheAnswersDoesNotMatter) {
  for (const Case& c : Cases()) {
    Labels reversed(c.labels.rbegin(), c.labels.rend());
    EXPECT_EQ(Consolidate(reversed, {c.task_count}), c.want) << c.what;
  }
}

TEST(ConsolidationOutcome, EveryOutcomeRoundTripsThroughItsName) {
  ASSERT_EQ(kConsolidationOutcomeNames.Values().size(), 3u);
  for (ConsolidationOutcome o : kConsolidationOutcomeNames.Values()) {
    auto parsed = kConsolidationOutcomeNames.Parse(Name(o), "consolidation outcome");
    ASSERT_TRUE(parsed.ok()) << Name(o);
    EXPECT_EQ(*parsed, o);
  }
  EXPECT_EQ(kConsolidationOutcomeNames.Parse("tied", "consolidation outcome").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loupe::review
