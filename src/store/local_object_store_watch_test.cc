// LocalObjectStore's watcher: files written, renamed, moved or deleted by other programs, and
// changes made while it was stopped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "store/local_object_store.h"
#include "store/testing.h"

namespace loupe::store {
namespace {

namespace fs = std::filesystem;
using testing::Deadline;
using testing::LocalObjectStoreTest;

TEST_F(LocalObjectStoreTest, ForeignFileIsReportedOnlyOnceItsWriterClosesIt) {
  StartAndWait();
  fs::create_directories(PathOf("images_for_detection"));
  WaitIdle();
  {
    std::ofstream out(PathOf("images_for_detection/x.jpg"), std::ios::binary);
    out << "first half;";
    out.flush();
    WaitIdle();
    EXPECT_EQ(listener_.Count(), 0u);
    out << "second half";
    out.flush();
    WaitIdle();
    EXPECT_EQ(listener_.Count(), 0u);
    EXPECT_EQ(store_->Head("images_for_detection/x.jpg").status().code(), StatusCode::kNotFound);
  }
  WaitIdle();
  ASSERT_EQ(listener_.Count(), 1u);
  EXPECT_EQ(listener_.Last().key, "images_for_detection/x.jpg");
  EXPECT_EQ(listener_.Last().sha256, Sha256Hex("first half;second half"));
  auto head = store_->Head("images_for_detection/x.jpg");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->size, 22);

  // The same bytes written again: no new event. Different bytes: one.
  WriteForeign("images_for_detection/x.jpg", "first half;second half");
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 1u);
  WriteForeign("images_for_detection/x.jpg", "other");
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 2u);
  EXPECT_EQ(store_->Head("images_for_detection/x.jpg")->sha256, Sha256Hex("other"));
}

TEST_F(LocalObjectStoreTest, RenameIntoTheFolderIsOneEvent) {
  StartAndWait();
  fs::create_directories(PathOf("images_for_detection"));
  {
    std::ofstream out(dir_.path() / "staging.jpg", std::ios::binary);
    out << "renamed in";
  }
  fs::rename(dir_.path() / "staging.jpg", PathOf("images_for_detection/r.jpg"));
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 1u);
  EXPECT_EQ(listener_.CountFor("images_for_detection/r.jpg"), 1);
  EXPECT_TRUE(store_->Head("images_for_detection/r.jpg").ok());
}

TEST_F(LocalObjectStoreTest, PutSeenAgainByTheWatcherIsStillOneEvent) {
  StartAndWait();
  ASSERT_TRUE(store_->Put("images_for_detection/p.jpg", "put").ok());
  ASSERT_TRUE(store_->Put("images_for_detection/q.jpg", "put2").ok());
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 2u);
  EXPECT_EQ(listener_.CountFor("images_for_detection/p.jpg"), 1);
}

TEST_F(LocalObjectStoreTest, HiddenAndInvalidFilesAreIgnoredUntilRenamedToAKey) {
  StartAndWait();
  WriteForeign(".hidden", "h");
  WriteForeign("dir/.partial.jpg", "p");
  WriteForeign(".cache/file", "c");
  WriteForeign("bad\\name", "b");
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 0u);
  fs::rename(PathOf("dir/.partial.jpg"), PathOf("dir/final.jpg"));
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 1u);
  EXPECT_EQ(listener_.Last().key, "dir/final.jpg");
}

TEST_F(LocalObjectStoreTest, FilesInNewlyCreatedNestedFoldersAreFound) {
  StartAndWait();
  // mkdir -p and a write right after it race the watcher adding its watches.
  WriteForeign("n1/n2/n3/f.jpg", "deep");
  WriteForeign("n1/n2/g.jpg", "mid");
  WaitIdle();
  EXPECT_EQ(listener_.CountFor("n1/n2/n3/f.jpg"), 1);
  EXPECT_EQ(listener_.CountFor("n1/n2/g.jpg"), 1);
  // The new folders are watched too.
  WriteForeign("n1/n2/n3/h.jpg", "later");
  WaitIdle();
  EXPECT_EQ(listener_.CountFor("n1/n2/n3/h.jpg"), 1);
  EXPECT_EQ(listener_.Count(), 3u);
}

TEST_F(LocalObjectStoreTest, FolderMovedInIsScannedAndFolderMovedAwayIsDropped) {
  StartAndWait();
  fs::create_directories(dir_.path() / "outside/sub");
  { std::ofstream(dir_.path() / "outside/sub/a.jpg") << "a"; }
  { std::ofstream(dir_.path() / "outside/b.jpg") << "b"; }
  fs::rename(dir_.path() / "outside", PathOf("moved"));
  WaitIdle();
  EXPECT_EQ(listener_.Count(), 2u);
  EXPECT_TRUE(store_->Head("moved/sub/a.jpg").ok());
  fs::rename(PathOf("moved"), dir_.path() / "gone");
  WaitIdle();
  EXPECT_EQ(store_->Head("moved/sub/a.jpg").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListAll("", 10).empty());
}

TEST_F(LocalObjectStoreTest, FileDeletedByAnotherProgramLeavesTheIndex) {
  ASSERT_TRUE(store_->Put("x/y", "1").ok());
  StartAndWait();
  fs::remove(PathOf("x/y"));
  WaitIdle();
  EXPECT_EQ(store_->Head("x/y").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, ChangesWhileStoppedAreFoundOnStart) {
  ASSERT_TRUE(store_->Put("kept", "k").ok());
  ASSERT_TRUE(store_->Put("deleted", "d").ok());
  ASSERT_TRUE(store_->Put("rewritten", "r1").ok());
  ASSERT_TRUE(store_->Put("touched", "t").ok());
  ASSERT_TRUE(store_->Put(".hidden-by-put", "h").ok());
  ASSERT_EQ(listener_.Count(), 5u);
  store_.reset();

  WriteForeign("arrived/while/stopped.jpg", "new");
  fs::remove(PathOf("deleted"));
  WriteForeign("rewritten", "r2");
  WriteForeign("touched", "t");  // same bytes, new mtime: rehashed, no event
  OpenStore();
  StartAndWait();

  EXPECT_EQ(listener_.Count(), 7u);
  EXPECT_EQ(listener_.CountFor("arrived/while/stopped.jpg"), 1);
  EXPECT_EQ(listener_.CountFor("rewritten"), 2);
  EXPECT_EQ(listener_.CountFor("touched"), 1);
  EXPECT_EQ(store_->Head("deleted").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Head("kept").ok());
  EXPECT_TRUE(store_->Head(".hidden-by-put").ok());
  EXPECT_EQ(ListAll("", 10),
            (std::vector<std::string>{".hidden-by-put", "arrived/while/stopped.jpg", "kept",
                                      "rewritten", "touched"}));

  // A second restart with nothing changed reports nothing.
  store_.reset();
  OpenStore();
  StartAndWait();
  EXPECT_EQ(listener_.Count(), 7u);
}

TEST_F(LocalObjectStoreTest, StopIsIdempotentAndWaitIdleNeedsAStartedWatcher) {
  EXPECT_EQ(store_->WaitIdle(Deadline()).code(), StatusCode::kFailedPrecondition);
  StartAndWait();
  EXPECT_EQ(store_->Start().code(), StatusCode::kFailedPrecondition);
  store_->Stop();
  store_->Stop();
  EXPECT_EQ(store_->WaitIdle(Deadline()).code(), StatusCode::kFailedPrecondition);
  // Restartable.
  StartAndWait();
}

}  // namespace
}  // namespace loupe::store
