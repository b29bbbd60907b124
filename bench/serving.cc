// bench/serving: what the serving path costs on top of the bare predictor. Prints
// `RESULT name=value unit` lines (numbers, never pass/fail):
//   - the bare predictor (decode + predict on one thread): images/s, decode and inference ms;
//   - DetectService over ModelService with 1 and 2 inference units and C concurrent clients:
//     images/s, p50/p99 latency, share of unit time decoding vs inferring;
//   - the service's overhead per image with one client and one unit, in % of the bare cost
//     (target: <= 10%).
//
//   serving_bench --model DIR --image IMAGE [--requests N] [--clients C]
//
// DIR is a `loupe train --out` artifact; IMAGE e.g. a 1 MP JPEG.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/file.h"
#include "core/temp_dir.h"
#include "db/sqlite_database.h"
#include "detect/detect_service.h"
#include "models/model_registry.h"
#include "models/model_service.h"
#include "store/local_object_store.h"

namespace fs = std::filesystem;
using namespace loupe;  // NOLINT(google-build-using-namespace): a benchmark's main file
using Steady = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

void Print(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s=%.3f %s\n", name.c_str(), value, unit);
}

struct Run {
  double images_per_s = 0;
  std::vector<double> latency_ms, decode_ms, infer_ms, overhead_ms;
};

Run Serve(detect::DetectService& detect, const std::string& bytes, int requests, int clients) {
  Run run;
  std::mutex mu;
  std::atomic<int> next{0};
  auto start = Steady::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < requests) {
        detect::DetectRequest r;
        r.image_bytes = bytes;
        r.min_confidence = 0;
        auto t0 = Steady::now();
        auto out = detect.Detect(r);
        double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
        if (!out.ok()) {
          std::fprintf(stderr, "detect: %s\n", out.status().ToString().c_str());
          continue;
        }
        std::lock_guard lock(mu);
        run.latency_ms.push_back(ms);
        run.decode_ms.push_back(out->timing.decode_ms);
        run.infer_ms.push_back(out->timing.inference_ms);
        run.overhead_ms.push_back(ms - out->timing.decode_ms - out->timing.inference_ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(Steady::now() - start).count();
  run.images_per_s = static_cast<double>(run.latency_ms.size()) / s;
  return run;
}

int Main(int argc, char** argv) {
  CLI::App app("serving benchmark");
  std::string model, image;
  int requests = 40;
  int clients = 4;
  app.add_option("--model", model, "Artifact directory")->required();
  app.add_option("--image", image, "Image file (e.g. a 1 MP JPEG)")->required();
  app.add_option("--requests", requests, "Requests per configuration")->capture_default_str();
  app.add_option("--clients", clients, "Concurrent clients")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto read = ReadFile(image);
  if (!read.ok()) {
    std::fprintf(stderr, "%s\n", read.status().ToString().c_str());
    return 1;
  }
  const std::string bytes = std::move(read).value();

  auto predictor = models::DefaultPredictorLoader()(model);
  if (!predictor.ok()) {
    std::fprintf(stderr, "%s\n", predictor.status().ToString().c_str());
    return 1;
  }
  auto header = ml::ProbeImage(bytes);
  if (!header.ok()) {
    std::fprintf(stderr, "%s\n", header.status().ToString().c_str());
    return 1;
  }
  std::printf("image %dx%d (%.2f MP), %zu bytes; model %s\n", header->width, header->height,
              header->width * header->height / 1e6, bytes.size(), model.c_str());

  // Bare predictor, one thread.
  std::vector<double> bare_decode, bare_infer;
  for (int i = 0; i < requests / 2 + 1; ++i) {
    auto t0 = Steady::now();
    auto decoded = ml::DecodeImage(bytes, (*predictor)->DecodeOptionsFor({}));
    auto t1 = Steady::now();
    if (!decoded.ok()) return 1;
    auto p = (*predictor)->PredictBatch({&*decoded});
    auto t2 = Steady::now();
    if (!p.ok()) return 1;
    if (i == 0) continue;  // warm-up
    bare_decode.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    bare_infer.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const double bare_ms = Mean(bare_decode) + Mean(bare_infer);
  Print("bare.images_per_s", 1000.0 / bare_ms, "img/s");
  Print("bare.decode_ms", Mean(bare_decode), "ms");
  Print("bare.inference_ms", Mean(bare_infer), "ms");

  TempDir dir("loupe-serving-bench-");
  SystemClock clock;
  auto db = db::OpenSqlite((dir.path() / "b.db").string());
  auto store = store::LocalObjectStore::Open(dir.path(), **db, clock, nullptr);
  auto registry = models::ModelRegistry::Open(**db, clock, **store);
  auto version = (*registry)->ImportDirectory(model, "", "bench");
  if (!db.ok() || !store.ok() || !registry.ok() || !version.ok()) {
    std::fprintf(stderr, "set-up failed\n");
    return 1;
  }
  for (int units : {1, 2}) {
    models::ServiceOptions options;
    options.cache_dir = dir.path() / "cache";
    options.default_units = units;
    options.pool.admission_timeout = std::chrono::milliseconds(60000);
    auto service = models::ModelService::Create(**registry, nullptr, clock,
                                                models::DefaultPredictorLoader(), options);
    if (!service.ok() || !(*service)->Deploy(version->version, "bench").ok()) return 1;
    detect::DetectService detect(**service, **store, clock);
    const std::string tag = "units" + std::to_string(units);
    if (units == 1) {
      // One client, one unit: the service's own cost per image over the bare predictor.
      Run seq = Serve(detect, bytes, requests / 2, 1);
      double service_ms = Mean(seq.latency_ms);
      Print("units1.clients1.latency_ms", service_ms, "ms");
      Print("units1.clients1.overhead_ms", Mean(seq.overhead_ms), "ms");
      Print("units1.clients1.overhead_pct", 100.0 * (service_ms - bare_ms) / bare_ms, "%");
    }
    Run run = Serve(detect, bytes, requests, clients);
    double unit_ms = Mean(run.decode_ms) + Mean(run.infer_ms);
    Print(tag + ".images_per_s", run.images_per_s, "img/s");
    Print(tag + ".p50_ms", Percentile(run.latency_ms, 0.5), "ms");
    Print(tag + ".p99_ms", Percentile(run.latency_ms, 0.99), "ms");
    Print(tag + ".decode_share_pct", 100.0 * Mean(run.decode_ms) / unit_ms, "%");
    Print(tag + ".inference_share_pct", 100.0 * Mean(run.infer_ms) / unit_ms, "%");
    (*service)->Shutdown();
    // Stop the deployed version so the next configuration can deploy it again.
    if (!(*service)->registry().Get(version->version).ok()) return 1;
    auto stopped = (*registry)->Transition(version->version, models::VersionStatus::kStopping,
                                           "bench", "bench");
    auto done = (*registry)->Transition(version->version, models::VersionStatus::kStopped, "bench",
                                        "bench");
    auto none = (*db)->Write([&](db::Transaction& tx) {
      return (*registry)->SetAlias(tx, models::kProductionAlias, std::nullopt, "bench", "bench");
    });
    if (!stopped.ok() || !done.ok() || !none.ok()) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serving_bench: %s\n", e.what());
    return 1;
  }
}
