// workflow_throughput: durable state transitions per second of the workflow engine on SQLite
// (WAL, synchronous=FULL: every commit is fsynced), single node, for 1 and 2 worker threads,
// with group commit (a worker steps a batch of executions and commits them in one
// transaction) and without it (batch of 1). A transition is one committed step: one state
// run and its history events. Prints figures; never fails on timing.
//
//   workflow_throughput [--executions N] [--dir DIR]   (DIR: where the database goes)

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "db/sqlite_database.h"
#include "workflow/engine.h"

namespace {

using nlohmann::json;
namespace wf = loupe::workflow;

constexpr const char* kMachine = R"({
  "StartAt": "A",
  "States": {
    "A": {"Type": "Task", "Resource": "loupe:inc", "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Pass", "Result": 1, "ResultPath": "$.b", "Next": "C"},
    "C": {"Type": "Task", "Resource": "loupe:inc", "Parameters": {"n.$": "$.a.n"},
          "ResultPath": "$.a", "Next": "D"},
    "D": {"Type": "Choice", "Choices": [{"Variable": "$.a.n", "NumericGreaterThan": 0,
          "Next": "E"}], "Default": "G"},
    "E": {"Type": "Task", "Resource": "loupe:inc", "Parameters": {"n.$": "$.a.n"},
          "ResultPath": "$.a", "Next": "F"},
    "F": {"Type": "Pass", "Next": "G"},
    "G": {"Type": "Succeed"}
  }
})";

struct Figure {
  double transitions_per_s = 0;
  int64_t transitions = 0;
  double seconds = 0;
};

Figure RunOnce(int workers, int batch, int executions) {
  loupe::TempDir tmp("wf-bench-");  // under $TMPDIR, set from --dir
  loupe::SystemClock clock;
  auto db = std::move(loupe::db::OpenSqlite((tmp.path() / "bench.db").string())).value();
  wf::EngineOptions options;
  options.workers = workers;
  options.batch_size = batch;
  auto engine = std::move(wf::Engine::Open(*db, clock, nullptr, options)).value();
  engine->RegisterHandler("loupe:inc", [](const json& in, const wf::TaskContext&) {
    return wf::TaskOutcome::Success({{"n", in.value("n", 0) + 1}});
  });
  if (!engine->LoadDefinition("bench", kMachine).ok()) std::abort();
  // Start every execution in one transaction (not measured).
  loupe::Status s = db->Write([&](loupe::db::Transaction& tx) -> loupe::Status {
    for (int i = 0; i < executions; ++i) {
      auto r = engine->StartExecution(tx, {"bench", "e" + std::to_string(i), json::object()});
      if (!r.ok()) return r.status();
    }
    return loupe::Status::Ok();
  });
  if (!s.ok()) std::abort();
  int64_t before = engine->CommittedSteps();
  auto t0 = std::chrono::steady_clock::now();
  if (!engine->Start().ok()) std::abort();
  while (*engine->CountRunning() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto t1 = std::chrono::steady_clock::now();
  engine->Stop();
  Figure f;
  f.transitions = engine->CommittedSteps() - before;
  f.seconds = std::chrono::duration<double>(t1 - t0).count();
  f.transitions_per_s = static_cast<double>(f.transitions) / f.seconds;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int executions = 2000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--executions") == 0) executions = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  setenv("TMPDIR", dir.c_str(), 1);
  spdlog::set_level(spdlog::level::warn);
  std::printf(
      "workflow_throughput: SQLite WAL synchronous=FULL in %s; 7-state machine "
      "(3 Task, 2 Pass, Choice, Succeed); reference: the cloud service's default "
      "budget is 1500 transitions/s per account\n",
      dir.string().c_str());
  std::printf("%-8s %-6s %-11s %12s %10s %16s\n", "workers", "batch", "executions", "transitions",
              "seconds", "transitions/s");
  for (int batch : {64, 1}) {
    for (int workers : {1, 2}) {
      int n = batch == 1 ? std::max(1, executions / 20) : executions;
      Figure f = RunOnce(workers, batch, n);
      std::printf("%-8d %-6d %-11d %12lld %10.2f %16.0f\n", workers, batch, n,
                  static_cast<long long>(f.transitions), f.seconds, f.transitions_per_s);
      std::printf("RESULT workflow_transitions_w%d_b%d=%.0f transitions/s\n", workers, batch,
                  f.transitions_per_s);
      std::fflush(stdout);
    }
  }
  return 0;
}
