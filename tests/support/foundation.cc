#include "support/foundation.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/check.h"
#include "db/open.h"
#include "db/testing.h"
#include "events/object_events.h"

namespace loupe::testing {

// The database, forwarding every call, and counting finished write transactions so a test can
// wait for the next one. Thread-safe.
class FoundationTest::CommitSignal final : public db::Database {
 public:
  explicit CommitSignal(std::unique_ptr<db::Database> inner) : inner_(std::move(inner)) {}

  Status Write(const TxFn& fn) override {
    Status s = inner_->Write(fn);
    {
      std::lock_guard lock(mu_);
      ++writes_;
    }
    cv_.notify_all();
    return s;
  }
  Status Read(const TxFn& fn) const override { return inner_->Read(fn); }
  Status Migrate(std::string_view module, const std::vector<db::Migration>& migrations) override {
    return inner_->Migrate(module, migrations);
  }
  Result<int> SchemaVersion(std::string_view module) const override {
    return inner_->SchemaVersion(module);
  }

  bool WaitUntil(const std::function<bool()>& done,
                 std::chrono::steady_clock::time_point deadline) {
    while (true) {
      uint64_t seen = 0;
      {
        std::lock_guard lock(mu_);
        seen = writes_;
      }
      // Evaluated outside the lock (it may read the database); a write finishing meanwhile
      // changes `writes_`, so it is not missed.
      if (done()) return true;
      std::unique_lock lock(mu_);
      if (!cv_.wait_until(lock, deadline, [&] { return writes_ != seen; })) {
        lock.unlock();
        return done();
      }
    }
  }

 private:
  std::unique_ptr<db::Database> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t writes_ = 0;  // guarded by mu_
};

FoundationTest::FoundationTest() : database_(db::testing::FreshDatabase(dir_.path())) {
  OpenFoundation();
}

FoundationTest::~FoundationTest() { CloseFoundation(); }

void FoundationTest::OpenFoundation() {
  auto commits = std::make_unique<CommitSignal>(std::move(db::OpenDatabase(database_)).value());
  commits_ = commits.get();
  db_ = std::move(commits);
  events_ = std::move(events::EventLog::Open(*db_, clock_)).value();
  params_ = std::move(params::ParameterStore::Open(*db_, clock_, *events_)).value();
  object_events_ = std::make_unique<events::ObjectEvents>(*events_);
  store_ = std::move(store::LocalObjectStore::Open(dir_.path() / "data", *db_, clock_,
                                                   object_events_.get()))
               .value();
}

void FoundationTest::CloseFoundation() {
  store_.reset();
  object_events_.reset();
  params_.reset();
  events_.reset();
  commits_ = nullptr;
  db_.reset();
}

void FoundationTest::ReopenFoundation() {
  CloseFoundation();
  OpenFoundation();
}

bool FoundationTest::WaitForCommit(const std::function<bool()>& done,
                                   std::chrono::milliseconds timeout) {
  LOUPE_CHECK(commits_ != nullptr) << "the foundation is closed";
  return commits_->WaitUntil(done, std::chrono::steady_clock::now() + timeout);
}

}  // namespace loupe::testing
