// Durability: a child process running many executions is killed with SIGKILL at random
// moments and restarted, again and again; at the end every execution has finished, and every
// task's effect (recorded under its idempotency key) happened exactly once: no key is
// missing (a lost step), none is unexpected (a step re-run under a new key), none counted
// twice. LOUPE_CRASH_KILLS sets the number of kills (default 200).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "core/temp_dir.h"
#include "db/sqlite_database.h"

namespace loupe {
namespace {

pid_t Spawn(const std::string& db, const std::string& prefix, int count) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string c = std::to_string(count);
    execl(WORKFLOW_CRASH_CHILD, WORKFLOW_CRASH_CHILD, "--db", db.c_str(), "--prefix",
          prefix.c_str(), "--count", c.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST(WorkflowCrash, EveryExecutionFinishesAndEveryEffectHappensOnceAcrossKills) {
  int kills = 200;
  if (const char* env = std::getenv("LOUPE_CRASH_KILLS")) kills = std::atoi(env);
  constexpr int kPerIncarnation = 10;
  TempDir dir;
  std::string db_path = (dir.path() / "crash.db").string();
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(5, 150);
  int killed = 0, exited_early = 0;
  for (int i = 0; i < kills; ++i) {
    pid_t pid = Spawn(db_path, "k" + std::to_string(i), kPerIncarnation);
    ASSERT_GT(pid, 0);
    // Killing at random moments needs real time; nothing else in this test sleeps.
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      ++killed;
    } else {
      ++exited_early;
      ASSERT_EQ(WEXITSTATUS(status), 0) << "child failed before the kill";
    }
  }
  // A last, undisturbed run finishes what is left.
  pid_t pid = Spawn(db_path, "final", 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  auto db = std::move(db::OpenSqlite(db_path)).value();
  std::map<std::string, std::string> status_by_id;
  std::map<std::string, int64_t> effects;
  int64_t runs = 0, reruns = 0;
  ASSERT_TRUE(db->Read([&](db::Transaction& tx) -> Status {
                  ASSIGN_OR_RETURN(db::Rows rows,
                                   tx.Query("SELECT id, status, output FROM wf_executions"));
                  for (const auto& r : rows) {
                    status_by_id[r.Text(0)] = r.Text(1);
                    if (r.Text(1) == "SUCCEEDED") {
                      EXPECT_EQ(nlohmann::json::parse(r.Text(2))["c"]["n"], 3) << r.Text(0);
                    }
                  }
                  ASSIGN_OR_RETURN(db::Rows e, tx.Query("SELECT key, n FROM effects"));
                  for (const auto& r : e) effects[r.Text(0)] = r.Int(1);
                  ASSIGN_OR_RETURN(db::Rows rr, tx.Query("SELECT n FROM runs"));
                  for (const auto& r : rr) {
                    runs += r.Int(0);
                    reruns += r.Int(0) - 1;
                  }
                  return Status::Ok();
                }).ok());
  std::set<std::string> expected;
  for (const auto& [id, st] : status_by_id) {
    EXPECT_EQ(st, "SUCCEEDED") << id;
    for (int v = 1; v <= 3; ++v) expected.insert(id + "/Step/" + std::to_string(v));
  }
  int64_t missing = 0, doubled = 0, unexpected = 0;
  for (const auto& key : expected) {
    auto it = effects.find(key);
    if (it == effects.end()) {
      ++missing;
    } else if (it->second != 1) {
      ++doubled;
    }
  }
  for (const auto& [key, n] : effects) unexpected += expected.contains(key) ? 0 : 1;
  std::printf(
      "crash test: %d kills survived (%d children finished first), %zu executions, "
      "%zu effects, %lld task runs (%lld re-runs with the same key); missing %lld, "
      "doubled %lld, unexpected %lld\n",
      killed, exited_early, status_by_id.size(), effects.size(), static_cast<long long>(runs),
      static_cast<long long>(reruns), static_cast<long long>(missing),
      static_cast<long long>(doubled), static_cast<long long>(unexpected));
  EXPECT_GT(status_by_id.size(), 0u);
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(doubled, 0);
  EXPECT_EQ(unexpected, 0);
  EXPECT_GE(killed, kills * 9 / 10);
}

}  // namespace
}  // namespace loupe
