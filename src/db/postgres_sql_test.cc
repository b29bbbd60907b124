#include "db/postgres_sql.h"

#include <gtest/gtest.h>

namespace loupe::db {
namespace {

TEST(PostgresSqlTest, NumbersPlaceholdersOutsideLiterals) {
  PostgresStatement s = ToPostgresStatement(
      "SELECT '?', \"odd?name\" FROM t WHERE a = ? AND b IN (?, ?) -- why?\n AND c = ?");
  EXPECT_EQ(s.sql,
            "SELECT '?', \"odd?name\" FROM t WHERE a = $1 AND b IN ($2, $3) -- why?\n AND c = $4");
  EXPECT_EQ(s.placeholders, 4);
  // Doubled quotes stay inside the literal; an unterminated one swallows the rest.
  EXPECT_EQ(ToPostgresStatement("SELECT 'it''s ?', ?").sql, "SELECT 'it''s ?', $1");
  EXPECT_EQ(ToPostgresStatement("SELECT 'open ?").placeholders, 0);
  EXPECT_EQ(ToPostgresStatement("SELECT /* ? */ ?").sql, "SELECT /* ? */ $1");
}

TEST(PostgresSqlTest, MapsSqliteTypeNamesInSchemas) {
  EXPECT_EQ(ToPostgresSchema("CREATE TABLE e (id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                             " n integer NOT NULL DEFAULT 0, x REAL, b BLOB, t TEXT)"),
            "CREATE TABLE e (id BIGSERIAL PRIMARY KEY,\n"
            " n BIGINT NOT NULL DEFAULT 0, x DOUBLE PRECISION, b BYTEA, t TEXT COLLATE \"C\")");
  EXPECT_EQ(ToPostgresSchema("CREATE TABLE n (id INTEGER  PRIMARY\tKEY, body TEXT)"),
            "CREATE TABLE n (id BIGSERIAL PRIMARY KEY, body TEXT COLLATE \"C\")");
  // Words inside literals and identifiers that merely contain a type name are kept.
  EXPECT_EQ(ToPostgresSchema("CREATE TABLE s (texts TEXT DEFAULT 'INTEGER', \"REAL\" INTEGER)"),
            "CREATE TABLE s (texts TEXT COLLATE \"C\" DEFAULT 'INTEGER', \"REAL\" BIGINT)");
  EXPECT_EQ(ToPostgresSchema("CREATE INDEX i ON t(a, b) WHERE status = 'RUNNING';"),
            "CREATE INDEX i ON t(a, b) WHERE status = 'RUNNING';");
}

}  // namespace
}  // namespace loupe::db
