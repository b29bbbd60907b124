// The string table of a task's state: every state round-trips through its name, and the names
// are the persisted spellings of review_tasks.state.
#include "review/review_tables.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace loupe::review {
namespace {

TEST(TaskState, EveryStateRoundTripsThroughItsName) {
  ASSERT_EQ(kTaskStateNames.Values().size(), 4u);
  for (TaskState s : kTaskStateNames.Values()) {
    auto parsed = kTaskStateNames.Parse(kTaskStateNames.Name(s), "task state");
    ASSERT_TRUE(parsed.ok()) << kTaskStateNames.Name(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(kTaskStateNames.Name(TaskState::kOpen), "Open");
  EXPECT_EQ(kTaskStateNames.Name(TaskState::kWithdrawn), "Withdrawn");
}

TEST(TaskState, UnknownNameIsInvalidArgument) {
  auto parsed = kTaskStateNames.Parse("open", "task state");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
}

TEST(TaskState, StateParamIsTheTablesName) {
  EXPECT_EQ(std::get<std::string>(StateParam(TaskState::kClaimed)), "Claimed");
  EXPECT_EQ(std::get<std::string>(StateParam(LoopStatus::kEscalated)), "Escalated");
}

}  // namespace
}  // namespace loupe::review
