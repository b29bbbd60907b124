#include "training/training_lease.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/open.h"
#include "db/testing.h"

namespace loupe::training {
namespace {

using std::chrono::seconds;

// Two leases on one database stand for two processes.
class TrainingLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = db::testing::FreshDatabase(dir_.path());
    db_a_ = std::move(db::OpenDatabase(spec_)).value();
    db_b_ = std::move(db::OpenDatabase(spec_)).value();
    a_ = std::move(TrainingLease::Open(*db_a_, clock_, "a", seconds(30))).value();
    b_ = std::move(TrainingLease::Open(*db_b_, clock_, "b", seconds(30))).value();
  }
  Result<int64_t> Acquire(TrainingLease& lease, db::Database& db) {
    int64_t token = 0;
    RETURN_IF_ERROR(db.Write([&](db::Transaction& tx) -> Status {
      ASSIGN_OR_RETURN(token, lease.Acquire(tx, "v7"));
      return Status::Ok();
    }));
    return token;
  }
  Status Fence(TrainingLease& lease, db::Database& db, int64_t token) {
    return db.Read([&](db::Transaction& tx) { return lease.CheckFence(tx, token); });
  }

  TempDir dir_;
  std::string spec_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_a_, db_b_;
  std::unique_ptr<TrainingLease> a_, b_;
};

TEST_F(TrainingLeaseTest, OneHolderAtATimeUntilReleased) {
  auto token = Acquire(*a_, *db_a_);
  ASSERT_TRUE(token.ok()) << token.status();
  auto refused = Acquire(*b_, *db_b_);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("v7"), std::string::npos) << refused.status();
  auto holder = b_->Holder();
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->owner, "a");
  ASSERT_TRUE(a_->Release(*token).ok());
  EXPECT_FALSE(b_->Holder()->has_value());
  auto next = Acquire(*b_, *db_b_);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, *token + 1);
}

TEST_F(TrainingLeaseTest, ADeadHoldersLeaseExpiresAndItIsFencedOut) {
  auto first = Acquire(*a_, *db_a_);
  ASSERT_TRUE(first.ok());
  clock_.Advance(seconds(20));
  ASSERT_TRUE(a_->Renew(*first).ok());  // renewed: still a's for 30 s from now
  clock_.Advance(seconds(20));
  EXPECT_FALSE(Acquire(*b_, *db_b_).ok());
  // a stops renewing (it died, or stalled): after the ttl, b takes over with a new token.
  clock_.Advance(seconds(11));
  auto second = Acquire(*b_, *db_b_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(*second, *first);
  // a, if it comes back, can neither renew nor complete, and its release frees nothing.
  EXPECT_EQ(a_->Renew(*first).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Fence(*a_, *db_a_, *first).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(a_->Release(*first).ok());
  EXPECT_TRUE(Fence(*b_, *db_b_, *second).ok());
  EXPECT_EQ((*b_->Holder())->owner, "b");
}

}  // namespace
}  // namespace loupe::training
