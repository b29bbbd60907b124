#include "db/sqlite_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/temp_dir.h"

namespace loupe::db {
namespace {

const std::vector<Migration> kMigrations = {
    {1, "counters", "CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
    {2, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, data BLOB)"},
};

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenSqlite((dir_.path() / "t.db").string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate("test", kMigrations).ok());
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteTest, MigratesOnceAndRecordsVersion) {
  EXPECT_EQ(*db_->SchemaVersion("test"), 2);
  EXPECT_EQ(*db_->SchemaVersion("other"), 0);
  // Re-applying is a no-op.
  EXPECT_TRUE(db_->Migrate("test", kMigrations).ok());
  // A binary that knows only version 1 refuses a version-2 database.
  Status s = db_->Migrate("test", {kMigrations[0]});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteTest, CommitsOnOkAndRollsBackOnError) {
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

TEST_F(SqliteTest, RoundTripsAllValueTypes) {
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

TEST_F(SqliteTest, ReportsConstraintViolationsAndBadSql) {
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

TEST_F(SqliteTest, ConcurrentWritersLoseNoIncrement) {
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

TEST_F(SqliteTest, DataSurvivesReopen) {
  ASSERT_TRUE(db_->Write([](Transaction& tx) {
                   return tx.Exec("INSERT INTO counters VALUES ('persist', 5)").status();
                 })
                  .ok());
  db_.reset();
  auto db = OpenSqlite((dir_.path() / "t.db").string());
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

TEST_F(SqliteTest, OnCommitRunsOnlyAfterCommit) {
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

}  // namespace
}  // namespace loupe::db
