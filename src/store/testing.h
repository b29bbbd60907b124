#pragma once
// Test helpers for the store's tests (header-only; for *_test.cc files only): a listener that
// records the ObjectCreated notifications of committed transactions and can be told to fail
// once, and the fixture that opens a LocalObjectStore on a fresh folder and SQLite database.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ios>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "db/testing.h"
#include "store/local_object_store.h"

namespace loupe::store::testing {

namespace fs = std::filesystem;

// Records the ObjectCreated notifications of committed transactions only.
class RecordingListener final : public ObjectListener {
 public:
  Status OnObjectCreated(db::Transaction& tx, const ObjectInfo& info) override {
    std::lock_guard lock(mu_);
    if (fail_next_) {
      fail_next_ = false;
      return UnavailableError("listener is down");
    }
    tx.OnCommit([this, info] {
      std::lock_guard commit_lock(mu_);
      events_.push_back(info);
    });
    return Status::Ok();
  }

  size_t Count() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }
  int CountFor(const std::string& key) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const ObjectInfo& e : events_) n += e.key == key ? 1 : 0;
    return n;
  }
  ObjectInfo Last() const {
    std::lock_guard lock(mu_);
    return events_.empty() ? ObjectInfo{} : events_.back();
  }
  void FailNext() {
    std::lock_guard lock(mu_);
    fail_next_ = true;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ObjectInfo> events_;
  bool fail_next_ = false;
};

// Every key of `store` under `prefix`, paging `page_size` at a time (checking each page's size).
inline std::vector<std::string> ListAll(const ObjectStore& store, const std::string& prefix,
                                        int page_size) {
  std::vector<std::string> keys;
  std::string token;
  do {
    auto page = store.List(prefix, token, page_size);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->objects.size(), static_cast<size_t>(page_size));
    for (const ObjectInfo& o : page->objects) keys.push_back(o.key);
    token = page->next_page_token;
  } while (!token.empty());
  return keys;
}

inline std::chrono::steady_clock::time_point Deadline() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(30);
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    OpenStore();
  }

  void OpenStore() {
    auto store = LocalObjectStore::Open(dir_.path(), *db_, clock_, &listener_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
  }

  void StartAndWait() {
    ASSERT_TRUE(store_->Start().ok());
    WaitIdle();
  }

  void WaitIdle() {
    Status s = store_->WaitIdle(Deadline());
    ASSERT_TRUE(s.ok()) << s;
  }

  fs::path PathOf(const std::string& key) const { return dir_.path() / "objects" / key; }

  // Writes a file the way another program would: directly into the folder.
  void WriteForeign(const std::string& key, const std::string& content) {
    fs::create_directories(PathOf(key).parent_path());
    std::ofstream out(PathOf(key), std::ios::binary | std::ios::trunc);
    out << content;
  }

  std::vector<std::string> ListAll(const std::string& prefix, int page_size) {
    return testing::ListAll(*store_, prefix, page_size);
  }

  TempDir dir_{"loupe-store-"};
  FakeClock clock_;
  RecordingListener listener_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<LocalObjectStore> store_;  // last: destroyed first
};

}  // namespace loupe::store::testing
