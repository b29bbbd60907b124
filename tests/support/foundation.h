#pragma once
// FoundationTest: the set-up most unit tests of the domain modules share, in one place — a fresh
// temp directory, a FakeClock, a database of the run's engine (db/testing.h), the EventLog, the
// ParameterStore and a LocalObjectStore under <dir>/data whose new objects become ObjectCreated
// events
// ({"key", "size", "sha256"}), as in the app. The store's watcher is not started. WaitForCommit
// waits on the database (a condition re-checked after each write transaction) instead of
// polling it.
//
//   class ReviewServiceTest : public loupe::testing::FoundationTest {
//     void SetUp() override { service_ = ...Open(*db_, clock_, *store_, *events_)...; }
//   };
//
// The members are constructed before the derived fixture's (so they outlive whatever borrows
// them) and opened in the constructor; a failure to open aborts the test binary with the status,
// as `.value()` on the Result does. Not thread-safe (like any fixture); the objects it holds are
// as thread-safe as their own types say. For *_test.cc files only (library loupe_testing).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "db/database.h"
#include "events/event_log.h"
#include "params/parameter_store.h"
#include "store/local_object_store.h"

namespace loupe::testing {

class FoundationTest : public ::testing::Test {
 protected:
  FoundationTest();
  ~FoundationTest() override;

  // Closes the store, parameters, event log and database and opens them again on the same
  // files, as a restarted process would. REQUIRES: nothing the test holds still borrows them
  // (reset those first).
  void ReopenFoundation();
  // Closes them (in reverse order of opening). Idempotent; the destructor calls it.
  void CloseFoundation();
  // Waits until `done()` holds, evaluating it now and again after every write transaction on
  // db_ (from any thread), for at most `timeout`. Returns whether it held. For conditions on
  // durable state that another thread changes; `done` may read the database.
  [[nodiscard]] bool WaitForCommit(const std::function<bool()>& done,
                                   std::chrono::milliseconds timeout);

  TempDir dir_;
  FakeClock clock_;
  // The database of this run's engine (db/testing.h: SQLite at <dir>/loupe.db, or a fresh
  // PostgreSQL schema), behind WaitForCommit's signal.
  std::string database_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<params::ParameterStore> params_;
  // The store→event fan-out the store notifies; declared before the store, which borrows it.
  std::unique_ptr<store::ObjectListener> object_events_;
  std::unique_ptr<store::LocalObjectStore> store_;

 private:
  class CommitSignal;
  void OpenFoundation();

  CommitSignal* commits_ = nullptr;  // db_, as the signalling wrapper it is
};

}  // namespace loupe::testing
