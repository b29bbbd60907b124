// workflow_crash_child: the process the crash test kills. It opens the database, starts
// `--count` executions named "<prefix>-<i>" (idempotent, so a restart after a kill during
// start-up is harmless) of a multi-step machine (Pass, a Task in a loop with Choice, Wait and
// Retry), runs the engine's workers and exits 0 once no execution is running.
//
// The task handler is what a real loupe handler must be: idempotent on its key. It records
// its effect and its result under the idempotency key in one transaction; a re-run with a
// key already recorded returns the stored result without a second effect. Every run (also
// re-runs) is counted in `runs`, to show that crashes did make tasks run again.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/clock.h"
#include "db/sqlite_database.h"
#include "workflow/engine.h"

namespace {

using loupe::Status;
using nlohmann::json;
namespace db = loupe::db;
namespace wf = loupe::workflow;

constexpr const char* kMachine = R"({
  "Comment": "crash test: three effects per execution, with retries and timers",
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Result": {"n": 0}, "ResultPath": "$.c", "Next": "Step"},
    "Step": {"Type": "Task", "Resource": "loupe:effect",
             "Parameters": {"n.$": "$.c.n", "execution.$": "$$.Execution.Id"},
             "ResultPath": "$.c",
             "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
             "Next": "Check"},
    "Check": {"Type": "Choice",
              "Choices": [{"Variable": "$.c.n", "NumericLessThan": 3, "Next": "Pause"}],
              "Default": "Done"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Step"},
    "Done": {"Type": "Succeed"}
  }
})";

int Fail(const Status& s) {
  std::fprintf(stderr, "crash child: %s\n", s.ToString().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("workflow crash-test child");
  std::string db_path, prefix = "x";
  int count = 0, workers = 2;
  app.add_option("--db", db_path)->required();
  app.add_option("--prefix", prefix);
  app.add_option("--count", count);
  app.add_option("--workers", workers);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  loupe::SystemClock clock;
  auto database = db::OpenSqlite(db_path);
  if (!database.ok()) return Fail(database.status());
  db::Database& dbr = **database;
  Status s = dbr.Migrate(
      "crash_test",
      {{1, "effects and runs keyed by idempotency key",
        "CREATE TABLE effects (key TEXT PRIMARY KEY, n INTEGER NOT NULL, result TEXT NOT NULL);"
        "CREATE TABLE runs (key TEXT PRIMARY KEY, n INTEGER NOT NULL);"}});
  if (!s.ok()) return Fail(s);
  wf::EngineOptions options;
  options.node_id = "crash";
  options.workers = workers;
  options.batch_size = 16;
  auto engine = wf::Engine::Open(dbr, clock, nullptr, options);
  if (!engine.ok()) return Fail(engine.status());
  (*engine)->RegisterHandler("loupe:effect", [&dbr](const json& in, const wf::TaskContext& ctx) {
    json result;
    bool flaky = false;
    Status st = dbr.Write([&](db::Transaction& tx) -> Status {
      auto run =
          tx.Exec("INSERT INTO runs(key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1",
                  {ctx.idempotency_key});
      if (!run.ok()) return run.status();
      auto done = tx.QueryOne("SELECT result FROM effects WHERE key = ?", {ctx.idempotency_key});
      if (!done.ok()) return done.status();
      if (*done) {
        result = json::parse((*done)->Text(0));
        return Status::Ok();
      }
      // Some keys fail their first attempt, to put retries (and their timers) under crashes.
      if (ctx.attempt == 1 && std::hash<std::string>()(ctx.idempotency_key) % 4 == 0) {
        flaky = true;
        return Status::Ok();
      }
      result = {{"n", in["n"].get<int>() + 1}};
      return tx
          .Exec("INSERT INTO effects(key, n, result) VALUES (?, 1, ?)",
                {ctx.idempotency_key, result.dump()})
          .status();
    });
    if (!st.ok()) return wf::TaskOutcome::FromStatus(st);
    if (flaky) return wf::TaskOutcome::Failure("Flaky", "first attempt of " + ctx.idempotency_key);
    return wf::TaskOutcome::Success(result);
  });
  if (Status l = (*engine)->LoadDefinition("crash", kMachine); !l.ok()) return Fail(l);
  if (Status st = (*engine)->Start(); !st.ok()) return Fail(st);
  for (int i = 0; i < count; ++i) {
    auto r = (*engine)->StartExecution({"crash", prefix + "-" + std::to_string(i), json::object()});
    if (!r.ok()) return Fail(r.status());
  }
  // A tool, not a test: poll for completion.
  while (true) {
    auto running = (*engine)->CountRunning();
    if (!running.ok()) return Fail(running.status());
    if (*running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*engine)->Stop();
  std::printf("done: %lld steps\n", static_cast<long long>((*engine)->CommittedSteps()));
  return 0;
}
