#pragma once
// Test helpers for every module's database tests (header-only; for *_test.cc files only): the
// engines a test is parameterised over, and OpenTestDatabase, which gives each test a fresh,
// empty database of the run's engine (a new schema on the PostgreSQL server of
// db/postgres_server.h for PostgreSQL).
//
//   class FooTest : public ::testing::TestWithParam<db::testing::Engine> { ... };
//   INSTANTIATE_TEST_SUITE_P(Engines, FooTest, ::testing::ValuesIn(db::testing::AllEngines()),
//                            db::testing::EngineName);

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/check.h"
#include "db/open.h"
#include "db/postgres_server.h"

namespace loupe::db::testing {

enum class Engine { kSqlite, kPostgres };

inline std::vector<Engine> AllEngines() { return {Engine::kSqlite, Engine::kPostgres}; }

// The engine of this run: $LOUPE_TEST_DB, "sqlite" (the default) or "postgres". CTest runs every
// test binary that opens its database through these helpers once per engine (cmake/loupe.cmake),
// so each module's tests hold on both without a copy per engine.
inline Engine RunEngine() {
  const char* env = std::getenv("LOUPE_TEST_DB");
  std::string name = env != nullptr ? env : "sqlite";
  CHECK(name == "sqlite" || name == "postgres") << "LOUPE_TEST_DB must be sqlite or postgres";
  return name == "postgres" ? Engine::kPostgres : Engine::kSqlite;
}

inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

// The spec (for OpenDatabase) of a fresh, empty database of `engine`: a SQLite file in `dir`,
// or a new schema on the shared PostgreSQL server. Opening it again reaches the same data.
inline std::string FreshDatabase(Engine engine, const std::filesystem::path& dir) {
  if (engine == Engine::kSqlite) return (dir / "loupe.db").string();
  return PostgresServer::Shared().FreshUrl();
}

inline std::string FreshDatabase(const std::filesystem::path& dir) {
  return FreshDatabase(RunEngine(), dir);
}

// Opens a fresh database of this run's engine.
inline std::unique_ptr<Database> OpenTestDatabase(const std::filesystem::path& dir) {
  auto db = OpenDatabase(FreshDatabase(dir));
  CHECK(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

}  // namespace loupe::db::testing
