// workflow_throughput: durable state transitions per second of the workflow engine, per
// database engine: SQLite (WAL, synchronous=FULL: every commit is fsynced), and PostgreSQL (a
// server this benchmark starts in DIR with its default durability: fsync on, synchronous
// commit; or --postgres URL), with 1 and 2 worker threads, with group commit (a worker steps a
// batch of executions and commits them in one transaction) and without it (batch of 1). On
// PostgreSQL also with 3 engines on 3 connections, as 3 processes would run them. A transition
// is one committed step: one state run and its history events. Prints figures; never fails on
// timing.
//
//   workflow_throughput [--executions N] [--dir DIR] [--engine sqlite|postgres|both]
//                       [--postgres URL]

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "db/open.h"
#include "db/postgres_server.h"
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

// Runs `executions` executions on `processes` engines (each on its own connection to the
// database at `spec`, as separate processes would be) with `workers` threads each.
Figure RunOnce(const std::string& spec, int processes, int workers, int batch, int executions) {
  loupe::SystemClock clock;
  std::vector<std::unique_ptr<loupe::db::Database>> dbs;
  std::vector<std::unique_ptr<wf::Engine>> engines;
  for (int p = 0; p < processes; ++p) {
    dbs.push_back(std::move(loupe::db::OpenDatabase(spec)).value());
    wf::EngineOptions options;
    options.workers = workers;
    options.batch_size = batch;
    options.node_id = "p" + std::to_string(p);
    auto engine = std::move(wf::Engine::Open(*dbs.back(), clock, nullptr, options)).value();
    engine->RegisterHandler("loupe:inc", [](const json& in, const wf::TaskContext&) {
      return wf::TaskOutcome::Success({{"n", in.value("n", 0) + 1}});
    });
    if (!engine->LoadDefinition("bench", kMachine).ok()) std::abort();
    engines.push_back(std::move(engine));
  }
  // Start every execution in one transaction (not measured).
  loupe::Status s = dbs[0]->Write([&](loupe::db::Transaction& tx) -> loupe::Status {
    for (int i = 0; i < executions; ++i) {
      auto r = engines[0]->StartExecution(tx, {"bench", "e" + std::to_string(i), json::object()});
      if (!r.ok()) return r.status();
    }
    return loupe::Status::Ok();
  });
  if (!s.ok()) std::abort();
  auto committed = [&] {
    int64_t n = 0;
    for (const auto& e : engines) n += e->CommittedSteps();
    return n;
  };
  int64_t before = committed();
  auto t0 = std::chrono::steady_clock::now();
  for (auto& e : engines) {
    if (!e->Start().ok()) std::abort();
  }
  while (*engines[0]->CountRunning() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto t1 = std::chrono::steady_clock::now();
  for (auto& e : engines) e->Stop();
  Figure f;
  f.transitions = committed() - before;
  f.seconds = std::chrono::duration<double>(t1 - t0).count();
  f.transitions_per_s = static_cast<double>(f.transitions) / f.seconds;
  return f;
}

// Prints the figures of `engine`; `fresh_spec` gives each run an empty database.
void Report(const char* engine, const std::function<std::string()>& fresh_spec, int executions,
            bool processes) {
  std::printf("%-9s %-9s %-8s %-6s %-11s %12s %10s %16s\n", "engine", "processes", "workers",
              "batch", "executions", "transitions", "seconds", "transitions/s");
  for (int batch : {64, 1}) {
    for (int p : processes ? std::vector<int>{1, 3} : std::vector<int>{1}) {
      for (int workers : {1, 2}) {
        int n = batch == 1 ? std::max(1, executions / 20) : executions;
        Figure f = RunOnce(fresh_spec(), p, workers, batch, n);
        std::printf("%-9s %-9d %-8d %-6d %-11d %12lld %10.2f %16.0f\n", engine, p, workers, batch,
                    n, static_cast<long long>(f.transitions), f.seconds, f.transitions_per_s);
        std::string name = std::string("workflow_transitions_") + engine +
                           (processes ? "_p" + std::to_string(p) : std::string()) + "_w" +
                           std::to_string(workers) + "_b" + std::to_string(batch);
        std::printf("RESULT %s=%.0f transitions/s\n", name.c_str(), f.transitions_per_s);
        std::fflush(stdout);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int executions = 2000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string which = "both";
  std::string postgres_url;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--executions") == 0) executions = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--engine") == 0) which = argv[i + 1];
    if (std::strcmp(argv[i], "--postgres") == 0) postgres_url = argv[i + 1];
  }
  setenv("TMPDIR", dir.c_str(), 1);
  spdlog::set_level(spdlog::level::warn);
  std::printf(
      "workflow_throughput: 7-state machine (3 Task, 2 Pass, Choice, Succeed) in %s; "
      "reference: the cloud service's default budget is 1500 transitions/s per account\n",
      dir.string().c_str());
  if (which == "sqlite" || which == "both") {
    std::printf("SQLite: WAL, synchronous=FULL\n");
    std::vector<std::unique_ptr<loupe::TempDir>> dirs;
    Report(
        "sqlite",
        [&] {
          dirs.push_back(std::make_unique<loupe::TempDir>("wf-bench-"));
          return (dirs.back()->path() / "bench.db").string();
        },
        executions, /*processes=*/false);
  }
  if (which == "postgres" || which == "both") {
    if (postgres_url.empty()) {
      // A server of our own, durable as a production one (fsync on, synchronous commit).
      auto& server = loupe::db::testing::PostgresServer::Shared(/*durable=*/true);
      postgres_url = server.url();
      std::printf("PostgreSQL: a local server on loopback (fsync=on, synchronous_commit=on)\n");
    }
    Report(
        "postgres",
        [&] { return loupe::db::testing::PostgresServer::FreshSchemaUrl(postgres_url); },
        executions, /*processes=*/true);
  }
  return 0;
}
