// Consolidation of a human loop's answers: all in, then a strict majority or escalation.
#include "review/consolidation.h"

#include <map>

namespace loupe::review {

Consolidation Consolidate(const std::vector<std::optional<std::string>>& labels,
                          const ConsolidationSettings& settings) {
  if (static_cast<int>(labels.size()) < settings.task_count) return {};
  std::map<std::optional<std::string>, int> votes;
  for (const std::optional<std::string>& label : labels) ++votes[label];
  for (const auto& [candidate, count] : votes) {
    if (2 * count > settings.task_count) {
      return {ConsolidationOutcome::kDecided, candidate};
    }
  }
  return {ConsolidationOutcome::kEscalated, std::nullopt};
}

}  // namespace loupe::review
