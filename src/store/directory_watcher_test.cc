#include "store/directory_watcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "core/temp_dir.h"

namespace loupe::store {
namespace {

namespace fs = std::filesystem;

class RecordingHandler final : public DirectoryWatcher::Handler {
 public:
  void OnFullScan(const std::vector<DirectoryWatcher::FileStat>& files) override {
    std::lock_guard lock(mu_);
    ++scans_;
    scanned_.clear();
    for (const auto& f : files) scanned_.push_back(f.path);
    std::sort(scanned_.begin(), scanned_.end());
  }
  void OnFileReady(const std::string& path) override {
    std::lock_guard lock(mu_);
    ready_.push_back(path);
  }
  void OnPathGone(const std::string& path) override {
    std::lock_guard lock(mu_);
    gone_.push_back(path);
  }

  int Scans() const {
    std::lock_guard lock(mu_);
    return scans_;
  }
  std::vector<std::string> Scanned() const {
    std::lock_guard lock(mu_);
    return scanned_;
  }
  std::vector<std::string> Ready() const {
    std::lock_guard lock(mu_);
    return ready_;
  }
  std::vector<std::string> Gone() const {
    std::lock_guard lock(mu_);
    return gone_;
  }

 private:
  mutable std::mutex mu_;
  int scans_ = 0;
  std::vector<std::string> scanned_;
  std::vector<std::string> ready_;
  std::vector<std::string> gone_;
};

class DirectoryWatcherTest : public ::testing::Test {
 protected:
  void Write(const std::string& rel, const std::string& content) {
    fs::create_directories((dir_.path() / rel).parent_path());
    std::ofstream(dir_.path() / rel, std::ios::binary) << content;
  }
  void WaitIdle() {
    Status s = watcher_.WaitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(30));
    ASSERT_TRUE(s.ok()) << s;
  }

  TempDir dir_{"loupe-watch-"};
  RecordingHandler handler_;
  DirectoryWatcher watcher_{dir_.path(), &handler_};
};

TEST_F(DirectoryWatcherTest, StartScansCompleteVisibleFilesOnly) {
  Write("a.jpg", "a");
  Write("d/e/b.jpg", "b");
  Write(".hidden", "h");
  Write("d/.partial", "p");
  Write(".git/config", "c");
  fs::create_symlink(dir_.path() / "a.jpg", dir_.path() / "link.jpg");
  std::ofstream open_writer(dir_.path() / "d/writing.jpg");
  open_writer << "half";
  open_writer.flush();

  ASSERT_TRUE(watcher_.Start().ok());
  WaitIdle();
  EXPECT_EQ(handler_.Scans(), 1);
  EXPECT_EQ(handler_.Scanned(), (std::vector<std::string>{"a.jpg", "d/e/b.jpg"}));
  EXPECT_TRUE(handler_.Ready().empty());

  open_writer.close();
  WaitIdle();
  EXPECT_EQ(handler_.Ready(), std::vector<std::string>{"d/writing.jpg"});
}

TEST_F(DirectoryWatcherTest, ReportsClosedWritesMovesAndDeletions) {
  fs::create_directories(dir_.path() / "x");
  ASSERT_TRUE(watcher_.Start().ok());
  WaitIdle();
  Write("x/y.jpg", "1");
  WaitIdle();
  EXPECT_EQ(handler_.Ready(), std::vector<std::string>{"x/y.jpg"});
  fs::rename(dir_.path() / "x/y.jpg", dir_.path() / "x/z.jpg");
  WaitIdle();  // else z.jpg may be gone before its IN_MOVED_TO is read, and is not reported
  fs::remove(dir_.path() / "x/z.jpg");
  fs::remove(dir_.path() / "x");
  WaitIdle();
  EXPECT_EQ(handler_.Ready(), (std::vector<std::string>{"x/y.jpg", "x/z.jpg"}));
  EXPECT_EQ(handler_.Gone(), (std::vector<std::string>{"x/y.jpg", "x/z.jpg", "x"}));
  EXPECT_GT(watcher_.EventsHandled(), 0);
}

TEST_F(DirectoryWatcherTest, CanBeStoppedAndStartedAgain) {
  ASSERT_TRUE(watcher_.Start().ok());
  WaitIdle();
  watcher_.Stop();
  Write("while-stopped.jpg", "s");
  ASSERT_TRUE(watcher_.Start().ok());
  WaitIdle();
  EXPECT_EQ(handler_.Scans(), 2);
  EXPECT_EQ(handler_.Scanned(), std::vector<std::string>{"while-stopped.jpg"});
  EXPECT_TRUE(handler_.Ready().empty());
}

}  // namespace
}  // namespace loupe::store
