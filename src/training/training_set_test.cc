#include "training/training_set.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/testing.h"
#include "store/local_object_store.h"

namespace loupe::training {
namespace {

TEST(LabelOfKey, OnlyLabelFoldersAndNegatives) {
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/acme/a.jpg"), "acme");
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/_none/a.jpg"), "_none");
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/_other/a.jpg"), std::nullopt);
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/acme/sub/a.jpg"), std::nullopt);
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/acme/"), std::nullopt);
  EXPECT_EQ(LabelOfKey("images_labeled_by_folder/a.jpg"), std::nullopt);
  EXPECT_EQ(LabelOfKey("images_for_detection/a.jpg"), std::nullopt);
}

class TrainingSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    set_ = std::move(TrainingSet::Open(*db_, clock_)).value();
  }
  void Record(const std::string& key, const std::string& sha) {
    ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return set_->Record(tx, key, sha); }).ok());
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<TrainingSet> set_;
};

TEST_F(TrainingSetTest, CountsUntrainedFromTheIndexAndFailedAttemptsCountAsTried) {
  Record("images_labeled_by_folder/acme/1.jpg", "a1");
  Record("images_labeled_by_folder/acme/2.jpg", "a2");
  Record("images_labeled_by_folder/globex/1.jpg", "g1");
  Record("images_labeled_by_folder/_none/1.jpg", "n1");
  Record("images_for_detection/x.jpg", "x");            // not a training image
  Record("images_labeled_by_folder/acme/1.jpg", "a1");  // the same content again
  EXPECT_EQ(*set_->CountUntrained(), 4);

  // An attempt (v1) saw three of them; its gate result does not matter.
  EXPECT_EQ(*set_->MarkTried(
                "v1", {"images_labeled_by_folder/acme/1.jpg", "images_labeled_by_folder/acme/2.jpg",
                       "images_labeled_by_folder/_none/1.jpg", "images_labeled_by_folder/x/y"}),
            3);
  EXPECT_EQ(*set_->CountUntrained(), 1);
  // Marking again changes nothing (a task that runs twice).
  EXPECT_EQ(*set_->MarkTried("v1", {"images_labeled_by_folder/acme/1.jpg"}), 0);

  // New content under a tried key is a new image to learn from.
  Record("images_labeled_by_folder/acme/1.jpg", "a1-new");
  EXPECT_EQ(*set_->CountUntrained(), 2);

  DatasetSummary s = *set_->Summary();
  EXPECT_EQ(s.total, 4);
  EXPECT_EQ(s.untrained, 2);
  EXPECT_EQ(s.negatives, 1);
  ASSERT_EQ(s.labels.size(), 2u);
  EXPECT_EQ(s.labels[0].label, "acme");
  EXPECT_EQ(s.labels[0].images, 2);
  EXPECT_EQ(s.labels[0].untrained, 1);
  EXPECT_EQ(s.labels[1].label, "globex");
  EXPECT_EQ(s.labels[1].untrained, 1);
}

TEST_F(TrainingSetTest, BackfillIndexesImagesStoredBeforeTheIndexExisted) {
  auto store =
      std::move(store::LocalObjectStore::Open(dir_.path() / "data", *db_, clock_, nullptr)).value();
  ASSERT_TRUE(store->Put("images_labeled_by_folder/acme/1.jpg", "one").ok());
  ASSERT_TRUE(store->Put("images_labeled_by_folder/_none/1.jpg", "two").ok());
  ASSERT_TRUE(store->Put("images_for_detection/1.jpg", "three").ok());
  EXPECT_EQ(*set_->Backfill(*store), 2);
  EXPECT_EQ(*set_->Backfill(*store), 0);
  EXPECT_EQ(*set_->CountUntrained(), 2);
}

}  // namespace
}  // namespace loupe::training
