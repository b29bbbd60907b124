#include "db/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "core/temp_dir.h"
#include "db/open.h"
#include "db/postgres_database.h"
#include "db/testing.h"

namespace loupe::db {
namespace {

const std::vector<Migration> kMigrations = {
    {1, "counters", "CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
    {2, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, data BLOB)"},
};

using testing::Engine;

// Every test runs on both engines: callers see one behaviour.
class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    spec_ = testing::FreshDatabase(GetParam(), dir_.path());
    auto db = OpenDatabase(spec_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate("test", kMigrations).ok());
  }
  TempDir dir_;
  std::string spec_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest, ::testing::ValuesIn(testing::AllEngines()),
                         testing::EngineName);

TEST_P(DatabaseTest, MigratesOnceAndRecordsVersion) {
  EXPECT_EQ(*db_->SchemaVersion("test"), 2);
  EXPECT_EQ(*db_->SchemaVersion("other"), 0);
  // Re-applying is a no-op.
  EXPECT_TRUE(db_->Migrate("test", kMigrations).ok());
  // A binary that knows only version 1 refuses a version-2 database.
  Status s = db_->Migrate("test", {kMigrations[0]});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
}

TEST_P(DatabaseTest, CommitsOnOkAndRollsBackOnError) {
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('a', 1)").status();
                 })
                  .ok());
  Status s = db_->Write([](Transaction& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec("UPDATE counters SET n = 99 WHERE name = 'a'").status());
    return InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  int64_t n = 0;
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT n FROM counters WHERE name=?",
                                                          {std::string("a")}));
                   n = row->Int(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(n, 1);
}

TEST_P(DatabaseTest, RoundTripsAllValueTypes) {
  std::string binary("\0\x01\xff", 3);
  ASSERT_TRUE(db_->Write([&](Transaction& tx) {
                   return tx
                       .Exec("INSERT INTO notes(id, body, data) VALUES (?, ?, ?)",
                             {int64_t{7}, std::string("héllo"), Blob{binary}})
                       .status();
                 })
                  .ok());
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(Rows rows,
                                    tx.Query("SELECT id, body, data, NULL, 1.5 FROM notes"));
                   EXPECT_EQ(rows.size(), 1u);
                   EXPECT_EQ(rows[0].Int(0), 7);
                   EXPECT_EQ(rows[0].Text(1), "héllo");
                   EXPECT_EQ(rows[0].Bytes(2), binary);
                   EXPECT_TRUE(rows[0].IsNull(3));
                   EXPECT_DOUBLE_EQ(rows[0].Double(4), 1.5);
                   return Status::Ok();
                 })
                  .ok());
}

TEST_P(DatabaseTest, ReportsConstraintViolationsAndBadSql) {
  auto insert = [](Transaction& tx) {
    return tx.Exec("INSERT INTO counters VALUES ('dup', 1)").status();
  };
  ASSERT_TRUE(db_->Write(insert).ok());
  EXPECT_EQ(db_->Write(insert).code(), StatusCode::kAlreadyExists);
  // Bad SQL and a wrong parameter count are programming errors: Internal, never retried.
  Status bad_sql = db_->Write([](Transaction& tx) { return tx.Exec("SELEC nonsense").status(); });
  EXPECT_EQ(bad_sql.code(), StatusCode::kInternal);
  EXPECT_NE(bad_sql.message().find("SELEC nonsense"), std::string::npos) << bad_sql;
  Status bad_params = db_->Write([](Transaction& tx) {
    return tx.Exec("INSERT INTO counters VALUES (?, ?)", {int64_t{1}}).status();
  });
  EXPECT_EQ(bad_params.code(), StatusCode::kInternal);
  EXPECT_NE(bad_params.message().find("expects 2 parameters, got 1"), std::string::npos)
      << bad_params;
}

TEST_P(DatabaseTest, ConcurrentWritersLoseNoIncrement) {
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('c', 0)").status();
                 })
                  .ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Status s = db_->Write([](Transaction& tx) {
          return tx.Exec("UPDATE counters SET n = n + 1 WHERE name = 'c'").status();
        });
        if (!s.ok()) ++failures;
        // Readers run concurrently with writers.
        Status r =
            db_->Read([](Transaction& tx) { return tx.Query("SELECT n FROM counters").status(); });
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t n = 0;
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT n FROM counters WHERE name='c'"));
                   n = row->Int(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(n, 200);
}

TEST_P(DatabaseTest, DataSurvivesReopen) {
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('persist', 5)").status();
                 })
                  .ok());
  db_.reset();
  auto db = OpenDatabase(spec_);
  ASSERT_TRUE(db.ok());
  int64_t n = 0;
  ASSERT_TRUE((*db)
                  ->Read([&](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT n FROM counters"));
                    n = row->Int(0);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(n, 5);
}

}  // namespace
}  // namespace loupe::db

namespace loupe::db {
namespace {

TEST_P(DatabaseTest, OnCommitRunsOnlyAfterCommit) {
  int committed = 0;
  ASSERT_TRUE(db_->Write([&](Transaction& tx) {
                   tx.OnCommit([&] { ++committed; });
                   EXPECT_EQ(committed, 0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(committed, 1);
  EXPECT_FALSE(db_->Write([&](Transaction& tx) {
                    tx.OnCommit([&] { ++committed; });
                    return AbortedError("rolled back");
                  })
                   .ok());
  EXPECT_EQ(committed, 1);
}

TEST_P(DatabaseTest, OrdersTextByBytes) {
  ASSERT_TRUE(
      db_->Write([](Transaction& tx) -> Status {
           for (const char* name : {"b", "B", "_x", "a", "Z", "a b"}) {
             RETURN_IF_ERROR(
                 tx.Exec("INSERT INTO counters VALUES (?, 0)", {std::string(name)}).status());
           }
           return Status::Ok();
         })
          .ok());
  std::vector<std::string> names;
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT name FROM counters ORDER BY name"));
                   for (const Row& r : rows) names.push_back(r.Text(0));
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(names, (std::vector<std::string>{"B", "Z", "_x", "a", "a b", "b"}));
}

TEST_P(DatabaseTest, NullParametersAndAssignedIds) {
  // An omitted INTEGER PRIMARY KEY is assigned, and a NULL parameter stores NULL.
  int64_t first = 0;
  int64_t second = 0;
  ASSERT_TRUE(db_->Write([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto a, tx.QueryOne("INSERT INTO notes(body, data) VALUES "
                                                        "(?, ?) RETURNING id",
                                                        {nullptr, nullptr}));
                   ASSIGN_OR_RETURN(auto b, tx.QueryOne("INSERT INTO notes(body) VALUES (?) "
                                                        "RETURNING id",
                                                        {std::string("x")}));
                   first = a->Int(0);
                   second = b->Int(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_GT(second, first);
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*), SUM(id) FROM notes "
                                                          "WHERE body IS NULL"));
                   EXPECT_EQ(row->Int(0), 1);
                   EXPECT_EQ(row->Int(1), first);
                   return Status::Ok();
                 })
                  .ok());
}

TEST_P(DatabaseTest, ACallbacksOwnFailureIsItsAnswerNotRetried) {
  int calls = 0;
  Status s = db_->Write([&](Transaction& tx) -> Status {
    ++calls;
    RETURN_IF_ERROR(tx.Exec("INSERT INTO counters VALUES ('u', 1)").status());
    return UnavailableError("the listener is down");
  });
  EXPECT_EQ(s, UnavailableError("the listener is down"));
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(db_->Read([](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM counters"));
                   EXPECT_EQ(row->Int(0), 0);
                   return Status::Ok();
                 })
                  .ok());
}

// A callback that ignores a failed statement and returns ok commits nothing on PostgreSQL (its
// transaction is aborted) and gets the failure; SQLite commits the statements that worked.
TEST_P(DatabaseTest, AnIgnoredFailedStatement) {
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('x', 1)").status();
                 })
                  .ok());
  bool hook_ran = false;
  Status s = db_->Write([&](Transaction& tx) -> Status {
    tx.OnCommit([&] { hook_ran = true; });
    (void)tx.Exec("INSERT INTO counters VALUES ('x', 2)");  // duplicate key, ignored
    (void)tx.Exec("INSERT INTO counters VALUES ('y', 3)");
    return Status::Ok();
  });
  int64_t rows = 0;
  ASSERT_TRUE(db_->Read([&](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM counters"));
                   rows = row->Int(0);
                   return Status::Ok();
                 })
                  .ok());
  if (GetParam() == Engine::kPostgres) {
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s;
    EXPECT_FALSE(hook_ran);
    EXPECT_EQ(rows, 1);
  } else {
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_TRUE(hook_ran);
    EXPECT_EQ(rows, 2);
  }
}

// Two handles on one database behave as two processes: each migrates and writes on its own.
TEST_P(DatabaseTest, HandlesMigrateOnceAndLoseNoIncrement) {
  std::vector<std::unique_ptr<Database>> handles;
  for (int i = 0; i < 2; ++i) handles.push_back(std::move(OpenDatabase(spec_)).value());
  const std::vector<Migration> more = {
      kMigrations[0], kMigrations[1], {3, "tags", "CREATE TABLE tags (name TEXT PRIMARY KEY)"}};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (auto& handle : handles) {
    threads.emplace_back([&, db = handle.get()] {
      if (!db->Migrate("test", more).ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  threads.clear();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*db_->SchemaVersion("test"), 3);
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('h', 0)").status();
                 })
                  .ok());
  for (auto& handle : handles) {
    threads.emplace_back([&, db = handle.get()] {
      for (int i = 0; i < 50; ++i) {
        // Read-modify-write: a lost update shows unless the engine serialises the handles.
        Status s = db->Write([](Transaction& tx) -> Status {
          ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT n FROM counters WHERE name = 'h'"));
          return tx.Exec("UPDATE counters SET n = ? WHERE name = 'h'", {row->Int(0) + 1}).status();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(db_->Read([](Transaction& tx) -> Status {
                   ASSIGN_OR_RETURN(auto row,
                                    tx.QueryOne("SELECT n FROM counters WHERE name = 'h'"));
                   EXPECT_EQ(row->Int(0), 100);
                   return Status::Ok();
                 })
                  .ok());
}

// The PostgreSQL server restarts under an open handle: the next transactions reconnect.
TEST(PostgresDatabaseTest, ReconnectsAfterServerRestart) {
  auto& server = testing::PostgresServer::Shared();
  auto db = std::move(OpenDatabase(server.FreshUrl())).value();
  ASSERT_TRUE(db->Migrate("test", kMigrations).ok());
  auto bump = [](Transaction& tx) {
    return tx
        .Exec(
            "INSERT INTO counters VALUES ('r', 1) "
            "ON CONFLICT(name) DO UPDATE SET n = counters.n + 1")
        .status();
  };
  ASSERT_TRUE(db->Write(bump).ok());
  ASSERT_TRUE(db->Read([](Transaction& tx) { return tx.Query("SELECT 1").status(); }).ok());
  server.Stop();
  server.Start();
  Status w = db->Write(bump);
  EXPECT_TRUE(w.ok()) << w;
  Status r = db->Read([](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT n FROM counters WHERE name = 'r'"));
    EXPECT_EQ(row->Int(0), 2);
    return Status::Ok();
  });
  EXPECT_TRUE(r.ok()) << r;
}

// Appends serialised on one log commit in id order across processes: a second writer waits for
// the first to end before it gets its id.
TEST(PostgresDatabaseTest, SerializedAppendsCommitInIdOrder) {
  std::string url = testing::PostgresServer::Shared().FreshUrl();
  auto first = std::move(OpenDatabase(url)).value();
  auto second = std::move(OpenDatabase(url)).value();
  auto observer = std::move(OpenDatabase(url)).value();
  ASSERT_TRUE(first->Migrate("test", kMigrations).ok());
  std::promise<void> inserted;
  std::promise<void> release;
  int64_t first_id = 0;
  int64_t second_id = 0;
  std::thread a([&] {
    Status s = first->Write([&](Transaction& tx) -> Status {
      RETURN_IF_ERROR(tx.SerializeAppends("notes"));
      ASSIGN_OR_RETURN(auto row, tx.QueryOne("INSERT INTO notes(body) VALUES ('a') RETURNING id"));
      first_id = row->Int(0);
      inserted.set_value();
      release.get_future().wait();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  inserted.get_future().wait();
  std::thread b([&] {
    Status s = second->Write([&](Transaction& tx) -> Status {
      RETURN_IF_ERROR(tx.SerializeAppends("notes"));
      ASSIGN_OR_RETURN(auto row, tx.QueryOne("INSERT INTO notes(body) VALUES ('b') RETURNING id"));
      second_id = row->Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  // The second writer is waiting on the lock (seen by the server), not yet holding an id.
  bool waiting = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(observer
                    ->Read([&](Transaction& tx) -> Status {
                      ASSIGN_OR_RETURN(auto row,
                                       tx.QueryOne("SELECT COUNT(*) FROM pg_locks WHERE "
                                                   "locktype = 'advisory' AND NOT granted"));
                      waiting = row->Int(0) > 0;
                      return Status::Ok();
                    })
                    .ok());
  }
  EXPECT_TRUE(waiting);
  EXPECT_EQ(second_id, 0);
  release.set_value();
  a.join();
  b.join();
  EXPECT_GT(second_id, first_id);
}

TEST(PostgresDatabaseTest, RefusesWhatIsNotAPostgresUrl) {
  EXPECT_EQ(OpenPostgres("/var/lib/loupe.db").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RedactedSpec("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
  EXPECT_EQ(RedactedSpec("postgres://h/db"), "postgres://h/db");
  EXPECT_EQ(RedactedSpec("/data/loupe.db"), "/data/loupe.db");
}

}  // namespace
}  // namespace loupe::db
