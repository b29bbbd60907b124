// LocalObjectStore through its API: Put/Get/Head/List/Delete/Copy, keys, listener failures.
#include "store/local_object_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "store/testing.h"

namespace loupe::store {
namespace {

namespace fs = std::filesystem;
using testing::LocalObjectStoreTest;

TEST_F(LocalObjectStoreTest, PutThenGetAndHeadReturnTheObject) {
  auto put = store_->Put("images_for_detection/a.jpg", "hello");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->key, "images_for_detection/a.jpg");
  EXPECT_EQ(put->size, 5);
  EXPECT_EQ(put->sha256, Sha256Hex("hello"));
  EXPECT_EQ(put->modified, clock_.Now());

  auto got = store_->Get("images_for_detection/a.jpg");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
  auto head = store_->Head("images_for_detection/a.jpg");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->sha256, put->sha256);
  EXPECT_EQ(head->size, 5);
  EXPECT_EQ(head->modified, put->modified);

  EXPECT_EQ(listener_.Count(), 1u);
  EXPECT_EQ(listener_.Last().key, "images_for_detection/a.jpg");
  // The temporary file is gone; the object is a plain file in the folder.
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
  EXPECT_TRUE(fs::is_regular_file(PathOf("images_for_detection/a.jpg")));
}

TEST_F(LocalObjectStoreTest, PutOfSameContentIsNoNewEventAndNewContentIsOne) {
  ASSERT_TRUE(store_->Put("k", "v1").ok());
  TimePoint first = clock_.Now();
  clock_.Advance(std::chrono::minutes(1));
  auto again = store_->Put("k", "v1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->modified, first);
  EXPECT_EQ(listener_.Count(), 1u);

  auto changed = store_->Put("k", "v2");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->modified, clock_.Now());
  EXPECT_EQ(listener_.Count(), 2u);
  EXPECT_EQ(*store_->Get("k"), "v2");
  EXPECT_EQ(store_->Head("k")->sha256, Sha256Hex("v2"));
}

TEST_F(LocalObjectStoreTest, MissingObjectsAreNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope"), NotFoundError("no object 'nope'"));
  EXPECT_EQ(store_->Copy("nope", "b").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put("dir/x", "1").ok());
  EXPECT_EQ(store_->Get("dir").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, RejectsInvalidKeysWithoutTouchingTheDisk) {
  for (std::string_view key : {"../escape", "/abs", "a//b", "a/", "a\nb", ".loupe/x"}) {
    EXPECT_EQ(store_->Put(key, "x").status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "escape"));
  EXPECT_EQ(listener_.Count(), 0u);
}

TEST_F(LocalObjectStoreTest, ObjectAndFolderOfTheSameNameConflict) {
  ASSERT_TRUE(store_->Put("a", "file").ok());
  EXPECT_EQ(store_->Put("a/b", "x").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Put("d/e", "x").ok());
  EXPECT_EQ(store_->Put("d", "x").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(LocalObjectStoreTest, ListPaginatesInKeyOrderWithinThePrefix) {
  for (std::string key : {"a/3", "a/1", "a/5", "a/2", "a/4", "ab/1", "b/1", "a"}) {
    ASSERT_TRUE(store_->Put(key == "a" ? "z/a" : key, key).ok()) << key;
  }
  auto page = store_->List("a/", "", 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a/1");
  EXPECT_EQ(page->objects[1].key, "a/2");
  EXPECT_EQ(page->objects[0].sha256, Sha256Hex("a/1"));
  EXPECT_EQ(page->next_page_token, "a/2");
  page = store_->List("a/", page->next_page_token, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects[0].key, "a/3");
  page = store_->List("a/", page->next_page_token, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "a/5");
  EXPECT_EQ(page->next_page_token, "");

  EXPECT_EQ(ListAll("a", 3), (std::vector<std::string>{"a/1", "a/2", "a/3", "a/4", "a/5", "ab/1"}));
  EXPECT_EQ(ListAll("", 1000).size(), 8u);
  EXPECT_TRUE(ListAll("c", 10).empty());
  EXPECT_EQ(store_->List("", "", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("", "", 1001).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalObjectStoreTest, ListTreatsLikeWildcardsLiterally) {
  ASSERT_TRUE(store_->Put("x_1/a", "1").ok());
  ASSERT_TRUE(store_->Put("xy1/a", "2").ok());
  ASSERT_TRUE(store_->Put("x%/a", "3").ok());
  ASSERT_TRUE(store_->Put("xz/a", "4").ok());
  EXPECT_EQ(ListAll("x_", 10), std::vector<std::string>{"x_1/a"});
  EXPECT_EQ(ListAll("x%", 10), std::vector<std::string>{"x%/a"});
}

TEST_F(LocalObjectStoreTest, DeleteRemovesFileAndIndexRow) {
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  ASSERT_TRUE(store_->Delete("d/x").ok());
  EXPECT_FALSE(fs::exists(PathOf("d/x")));
  EXPECT_EQ(store_->Head("d/x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("d/x").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListAll("", 10).empty());
  EXPECT_EQ(store_->Delete("d/x").code(), StatusCode::kNotFound);
  // Put again after a delete is a new object.
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  EXPECT_EQ(listener_.Count(), 2u);
}

TEST_F(LocalObjectStoreTest, CopyCreatesANewObject) {
  ASSERT_TRUE(store_->Put("images_for_detection/a.jpg", "img").ok());
  auto copy = store_->Copy("images_for_detection/a.jpg", "images_labeled_by_folder/acme/a.jpg");
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->sha256, Sha256Hex("img"));
  EXPECT_EQ(*store_->Get("images_labeled_by_folder/acme/a.jpg"), "img");
  EXPECT_EQ(*store_->Get("images_for_detection/a.jpg"), "img");
  EXPECT_EQ(listener_.CountFor("images_labeled_by_folder/acme/a.jpg"), 1);
  EXPECT_EQ(listener_.Count(), 2u);
}

TEST_F(LocalObjectStoreTest, ConcurrentPutsOfDifferentKeysAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        if (!store_->Put(key, key).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(listener_.Count(), static_cast<size_t>(kThreads * kPerThread));
  auto keys = ListAll("c/", 37);
  EXPECT_EQ(keys.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(*store_->Get("c/3/7"), "c/3/7");
}

TEST_F(LocalObjectStoreTest, ListenerFailureRollsBackTheRowAndTheNextRegisterRetries) {
  listener_.FailNext();
  EXPECT_EQ(store_->Put("k", "v").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Head("k").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(listener_.Count(), 0u);
  // The file is in place; registering it again produces the one event.
  auto info = store_->Register("k");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(listener_.Count(), 1u);
  EXPECT_TRUE(store_->Head("k").ok());
}

TEST_F(LocalObjectStoreTest, WatcherRetriesAFileWhoseRegistrationFailed) {
  StartAndWait();
  listener_.FailNext();
  WriteForeign("retry.jpg", "r");
  WaitIdle();
  EXPECT_EQ(listener_.CountFor("retry.jpg"), 1);
  EXPECT_TRUE(store_->Head("retry.jpg").ok());
}

TEST_F(LocalObjectStoreTest, OpenRemovesTemporaryFilesLeftByACrash) {
  { std::ofstream(dir_.path() / "tmp" / "put-abc123") << "torn"; }
  store_.reset();
  OpenStore();
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
  EXPECT_TRUE(ListAll("", 10).empty());
}

}  // namespace
}  // namespace loupe::store
