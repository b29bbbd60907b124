// The ObjectStore contract, held by every backend: the local folder and an S3 bucket (s3rver),
// each on this run's database engine (db/testing.h). Then what only the S3 store does: finding
// objects that other programs put into the bucket, exactly once across processes.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "db/testing.h"
#include "store/local_object_store.h"
#include "store/s3_object_store.h"
#include "store/s3_testing.h"
#include "store/testing.h"

namespace loupe::store {
namespace {

enum class Backend { kLocal, kS3 };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kLocal ? "Local" : "S3";
}

class ObjectStoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    store_ = OpenStore(listener_);
  }

  std::unique_ptr<ObjectStore> OpenStore(ObjectListener& listener) {
    if (GetParam() == Backend::kLocal) {
      return std::move(LocalObjectStore::Open(dir_.path(), *db_, clock_, &listener)).value();
    }
    auto client = S3Client::Create(testing::S3Server::Shared().Options());
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(
               S3ObjectStore::Open(std::move(client).value(), {prefix_}, *db_, clock_, &listener))
        .value();
  }

  std::vector<std::string> ListAll(const std::string& prefix, int page_size) {
    return testing::ListAll(*store_, prefix, page_size);
  }

  TempDir dir_{"loupe-store-"};
  const std::string prefix_ = testing::S3Server::FreshPrefix();
  FakeClock clock_;
  testing::RecordingListener listener_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<ObjectStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ObjectStoreContractTest,
                         ::testing::Values(Backend::kLocal, Backend::kS3), BackendName);

TEST_P(ObjectStoreContractTest, PutThenGetAndHead) {
  auto put = store_->Put("images_for_detection/a b+c.jpg", "hello");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->size, 5);
  EXPECT_EQ(put->sha256, Sha256Hex("hello"));
  EXPECT_EQ(put->modified, clock_.Now());
  EXPECT_EQ(*store_->Get("images_for_detection/a b+c.jpg"), "hello");
  auto head = store_->Head("images_for_detection/a b+c.jpg");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->sha256, put->sha256);
  EXPECT_EQ(listener_.Count(), 1u);
  EXPECT_EQ(listener_.Last().key, "images_for_detection/a b+c.jpg");
}

TEST_P(ObjectStoreContractTest, SameContentIsNoNewEventAndNewContentIsOne) {
  ASSERT_TRUE(store_->Put("k", "v1").ok());
  TimePoint first = clock_.Now();
  clock_.Advance(std::chrono::minutes(1));
  auto again = store_->Put("k", "v1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->modified, first);
  EXPECT_EQ(listener_.Count(), 1u);
  ASSERT_TRUE(store_->Put("k", "v2").ok());
  EXPECT_EQ(listener_.Count(), 2u);
  EXPECT_EQ(*store_->Get("k"), "v2");
  EXPECT_EQ(store_->Head("k")->sha256, Sha256Hex("v2"));
}

TEST_P(ObjectStoreContractTest, MissingObjectsAreNotFoundAndBadKeysInvalid) {
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Copy("nope", "b").status().code(), StatusCode::kNotFound);
  for (std::string_view key : {"../escape", "/abs", "a//b", "a/", "a\nb", ".loupe/x"}) {
    EXPECT_EQ(store_->Put(key, "x").status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(listener_.Count(), 0u);
}

TEST_P(ObjectStoreContractTest, ListPaginatesInByteOrderWithinThePrefix) {
  // Non-ASCII and wildcard-looking keys: the prefix is literal and the order is by bytes.
  const std::vector<std::string> keys = {
      "a/1", "a/2", "a/%_", "a/\xc3\xa9/x", "a/\xc3\xa9z", "a/\xc3\xaa", "ab", "b", "A"};
  for (const std::string& key : keys) ASSERT_TRUE(store_->Put(key, key).ok()) << key;
  EXPECT_EQ(ListAll("a/", 2), (std::vector<std::string>{"a/%_", "a/1", "a/2", "a/\xc3\xa9/x",
                                                        "a/\xc3\xa9z", "a/\xc3\xaa"}));
  EXPECT_EQ(ListAll("a/\xc3\xa9", 1), (std::vector<std::string>{"a/\xc3\xa9/x", "a/\xc3\xa9z"}));
  EXPECT_EQ(ListAll("a/%", 1000), (std::vector<std::string>{"a/%_"}));
  EXPECT_EQ(ListAll("", 1000).size(), keys.size());
  EXPECT_EQ(ListAll("", 1000).front(), "A");
  EXPECT_EQ(store_->List("", "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(ObjectStoreContractTest, DeleteAndCopy) {
  ASSERT_TRUE(store_->Put("src/a", "payload").ok());
  auto copy = store_->Copy("src/a", "dst/a");
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->sha256, Sha256Hex("payload"));
  EXPECT_EQ(*store_->Get("dst/a"), "payload");
  EXPECT_EQ(listener_.Count(), 2u);
  ASSERT_TRUE(store_->Delete("src/a").ok());
  EXPECT_EQ(store_->Get("src/a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("src/a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ListAll("", 1000), (std::vector<std::string>{"dst/a"}));
}

TEST_P(ObjectStoreContractTest, LargeObjectsRoundTrip) {
  // Above the S3 store's multipart threshold (8 MiB): uploaded in parts.
  std::string big(9 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  auto put = store_->Put("big/blob", big);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->size, static_cast<int64_t>(big.size()));
  auto got = store_->Get("big/blob");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == big);
  EXPECT_EQ(store_->Head("big/blob")->sha256, Sha256Hex(big));
}

TEST_P(ObjectStoreContractTest, ConcurrentPutsOfDifferentKeysAllLand) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        EXPECT_TRUE(store_->Put(key, key).ok()) << key;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ListAll("c/", 7).size(), 40u);
  EXPECT_EQ(listener_.Count(), 40u);
}

TEST_P(ObjectStoreContractTest, ListenerFailureRollsBackTheRow) {
  listener_.FailNext();
  EXPECT_EQ(store_->Put("k", "v").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Head("k").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(listener_.Count(), 0u);
  // Putting it again registers it, with the one event.
  ASSERT_TRUE(store_->Put("k", "v").ok());
  EXPECT_EQ(listener_.Count(), 1u);
}

// What only the S3 store does.
class S3ObjectStoreTest : public ObjectStoreContractTest {
 protected:
  S3ObjectStore& s3() { return static_cast<S3ObjectStore&>(*store_); }
  // Puts an object the way another program would: straight into the bucket, no loupe metadata.
  void PutForeign(const std::string& key, const std::string& bytes) {
    auto client = S3Client::Create(testing::S3Server::Shared().Options());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->Put(prefix_ + "/" + key, bytes, "").ok());
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, S3ObjectStoreTest, ::testing::Values(Backend::kS3), BackendName);

TEST_P(S3ObjectStoreTest, ForeignObjectsAreFoundOnceAcrossProcesses) {
  // A second store on the same database and bucket stands for a second loupe process.
  testing::RecordingListener other_listener;
  auto other = OpenStore(other_listener);
  auto& other_s3 = static_cast<S3ObjectStore&>(*other);
  PutForeign("images_for_detection/x.jpg", "from a camera");
  PutForeign("images_for_detection/y.jpg", "another");

  auto first = s3().Reconcile();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->listed, 2);
  EXPECT_EQ(first->registered, 2);
  auto second = other_s3.Reconcile();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->registered, 0);
  EXPECT_EQ(listener_.Count() + other_listener.Count(), 2u);
  EXPECT_EQ(other->Head("images_for_detection/x.jpg")->sha256, Sha256Hex("from a camera"));

  // Overwritten by the other program: one more event; deleted: the row goes.
  PutForeign("images_for_detection/x.jpg", "new content");
  ASSERT_TRUE(other_s3.Reconcile().ok());
  ASSERT_TRUE(s3().Reconcile().ok());
  EXPECT_EQ(listener_.CountFor("images_for_detection/x.jpg") +
                other_listener.CountFor("images_for_detection/x.jpg"),
            2);
  auto raw = S3Client::Create(testing::S3Server::Shared().Options());
  ASSERT_TRUE((*raw)->Delete(prefix_ + "/images_for_detection/y.jpg").ok());
  auto third = s3().Reconcile();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->dropped, 1);
  EXPECT_EQ(other->Head("images_for_detection/y.jpg").status().code(), StatusCode::kNotFound);
}

TEST_P(S3ObjectStoreTest, ConcurrentRegistrationsOfOneObjectAreOneEvent) {
  testing::RecordingListener other_listener;
  auto other = OpenStore(other_listener);
  PutForeign("race.jpg", "contended");
  std::atomic<int> failures{0};
  std::thread a([&] {
    if (!s3().Register("race.jpg").ok()) ++failures;
  });
  std::thread b([&] {
    if (!static_cast<S3ObjectStore&>(*other).Register("race.jpg").ok()) ++failures;
  });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(listener_.Count() + other_listener.Count(), 1u);
}

TEST_P(S3ObjectStoreTest, ParsesStoreUrls) {
  std::string bucket;
  std::string prefix;
  ASSERT_TRUE(ParseS3Url("s3://my-bucket/loupe/prod/", &bucket, &prefix).ok());
  EXPECT_EQ(bucket, "my-bucket");
  EXPECT_EQ(prefix, "loupe/prod");
  ASSERT_TRUE(ParseS3Url("s3://b", &bucket, &prefix).ok());
  EXPECT_EQ(prefix, "");
  EXPECT_EQ(ParseS3Url("s3:///x", &bucket, &prefix).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseS3Url("/data", &bucket, &prefix).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseS3Url("s3://b/../x", &bucket, &prefix).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s3().Health().ok());
}

}  // namespace
}  // namespace loupe::store
