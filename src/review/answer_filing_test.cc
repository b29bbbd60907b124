// Filing of answers into images_labeled_by_folder/: exactly once across a crash, "none of
// these" into _none/, and only for Completed loops.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "review/testing.h"

namespace loupe::review {
namespace {

TEST_F(ReviewServiceTest, FilingIsExactlyOnceAcrossACrashBetweenCopyAndRecord) {
  Create(Input("loop-1", 40));
  ClaimAndAnswer(Reviewer("ann"), "acme");
  const std::string key = "images_labeled_by_folder/acme/loop-1-a.jpg";
  Reopen({[] { return UnavailableError("crash after the copy"); }, nullptr});
  EXPECT_EQ(service_->FileAnswer("loop-1").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store_->Head(key).ok());
  EXPECT_TRUE(service_->ListFilings(10)->empty());
  Reopen();  // the restarted process runs the task again
  auto filed = service_->FileAnswer("loop-1");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_TRUE(filed->newly_filed);
  EXPECT_EQ(filed->key, key);
  EXPECT_EQ(filed->label, std::optional<std::string>("acme"));
  EXPECT_EQ(filed->workers, std::vector<std::string>{"ann"});
  auto again = service_->FileAnswer("loop-1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->newly_filed);
  EXPECT_EQ(again->key, key);
  EXPECT_EQ(service_->ListFilings(10)->size(), 1u);
  EXPECT_EQ(store_->List("images_labeled_by_folder/", "", 100)->objects.size(), 1u);
  EXPECT_EQ(store_->Get(key).value(), "image-a");
  EXPECT_EQ(ObjectEventsFor(key), 1);
}

TEST_F(ReviewServiceTest, NoneOfTheseFilesIntoTheNegativesFolder) {
  Create(Input("loop-1", 40));
  ClaimAndAnswer(Reviewer("ann"), std::nullopt);
  auto filed = service_->FileAnswer("loop-1");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->key, "images_labeled_by_folder/_none/loop-1-a.jpg");
  EXPECT_EQ(filed->label, std::nullopt);
  EXPECT_TRUE(store_->Head(filed->key).ok());
}

TEST_F(ReviewServiceTest, FilingNeedsACompletedLoop) {
  Create(Input("loop-1", 40));
  EXPECT_EQ(service_->FileAnswer("loop-1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->FileAnswer("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace loupe::review
