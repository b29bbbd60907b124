// The string tables of workflow's enums: every value round-trips through its name, and the
// parse wrappers reject unknown names with the codes their callers rely on.
#include "workflow/execution.h"

#include <gtest/gtest.h>

#include <string>

#include "workflow/definition.h"

namespace loupe::workflow {
namespace {

TEST(ExecutionStatusNames, EveryValueRoundTripsAndUnknownIsInvalidArgument) {
  for (ExecutionStatus s : kExecutionStatusNames.Values()) {
    auto parsed = ParseExecutionStatus(ExecutionStatusName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
  auto bad = ParseExecutionStatus("running");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("RUNNING|SUCCEEDED|FAILED|ABORTED"), std::string::npos)
      << bad.status();
  EXPECT_EQ(kExecutionStatusNames.Parse("nope", "status").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HistoryEventTypeNames, EveryValueRoundTripsAndUnknownIsDataLoss) {
  for (HistoryEventType t : kHistoryEventTypeNames.Values()) {
    auto parsed = ParseHistoryEventType(HistoryEventTypeName(t));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, t);
  }
  // Read from the engine's own rows only: an unknown name there is a corrupt row.
  EXPECT_EQ(ParseHistoryEventType("TaskExploded").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(kHistoryEventTypeNames.Parse("TaskExploded", "event").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(StateTypeNames, EveryValueRoundTripsAndNamesItsHistoryEvents) {
  for (StateType t : kStateTypeNames.Values()) {
    auto parsed = kStateTypeNames.Parse(StateTypeName(t), "state type");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, t);
    std::string name(StateTypeName(t));
    EXPECT_EQ(HistoryEventTypeName(StateEnteredType(t)), name + "StateEntered");
    if (t != StateType::kFail) {
      EXPECT_EQ(HistoryEventTypeName(StateExitedType(t)), name + "StateExited");
    }
  }
  EXPECT_EQ(kStateTypeNames.Parse("Parallel", "state type").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loupe::workflow
