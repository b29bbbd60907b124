#pragma once
// Consolidation of a human loop's answers (docs/review.md): nothing is decided until every one
// of the loop's TaskCount answers is in; then a label (or "none of these") given by a strict
// majority of TaskCount wins, and anything else (a tie, all different) is escalated to an
// operator. Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_table.h"

namespace loupe::review {

// What of a loop consolidation depends on.
struct ConsolidationSettings {
  int task_count = 1;  // answers the loop asks for
};

enum class ConsolidationOutcome {
  kWaiting,    // not every answer is in yet
  kDecided,    // a strict majority agreed on `label`
  kEscalated,  // all answers are in and none has a majority: an operator decides
};

// The string table of ConsolidationOutcome (for logs and test messages; never persisted).
inline constexpr EnumTable<ConsolidationOutcome, 3> kConsolidationOutcomeNames{
    {{{ConsolidationOutcome::kWaiting, "waiting"},
      {ConsolidationOutcome::kDecided, "decided"},
      {ConsolidationOutcome::kEscalated, "escalated"}}}};

struct Consolidation {
  ConsolidationOutcome outcome = ConsolidationOutcome::kWaiting;
  std::optional<std::string> label;  // kDecided: the winning label (null = none of these)
  bool operator==(const Consolidation&) const = default;
};

// The decided_by of a loop decided by Consolidate (an operator's resolution names the operator).
inline constexpr std::string_view kDecidedByMajority = "majority";

// The decision on the answers given so far (`labels`: one per answer, null = none of these).
Consolidation Consolidate(const std::vector<std::optional<std::string>>& labels,
                          const ConsolidationSettings& settings);

}  // namespace loupe::review
