// bench/ml_quality: trains on one logogen data set and prints quality and speed figures as
// `RESULT name=value unit` lines (numbers, never pass/fail). Driven by bench/ml_quality.sh,
// which generates the data sets (seeds 0, 1, 2; K=10 with 20 train/class; K=5 with 5/class)
// and averages the runs.
//
//   ml_quality --data OUT [--tag NAME] [--backbone MODEL.pt | --builtin ID] [--seed N]
//              [--threads N] [--no-keypoints] [--open-set-share S] [--background-share S]
//
// OUT is a `logogen.py generate` output: train/<label>/, test/<label>/, test_none/, test_novel/.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/clock.h"
#include "core/file.h"
#include "ml/artifact.h"
#include "ml/calibration.h"
#include "ml/dataset.h"
#include "ml/predictor.h"
#include "ml/trainer.h"

namespace fs = std::filesystem;
using namespace loupe;  // NOLINT(google-build-using-namespace): a benchmark's main file

namespace {

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".jpg") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("loupe ML quality benchmark");
  std::string data, tag = "run", backbone_path, builtin(ml::DefaultBackboneId());
  uint64_t seed = 0;
  int threads = 1;
  double threshold = 70;
  bool no_keypoints = false;
  double open_set_share = -1, background_share = -1;
  app.add_option("--data", data, "logogen output directory")->required();
  app.add_option("--tag", tag, "name prefix of the RESULT lines");
  app.add_option("--backbone", backbone_path, "TorchScript backbone instead of the builtin");
  app.add_option("--builtin", builtin, "builtin backbone id");
  app.add_option("--seed", seed, "training seed");
  app.add_option("--threads", threads, "torch threads for training (prediction uses 1)");
  app.add_option("--threshold", threshold, "confidence for false-accept counting");
  app.add_flag("--no-keypoints", no_keypoints, "leave out the SIFT keypoint stage");
  app.add_option("--open-set-share", open_set_share, "override TrainOptions::open_set_share");
  app.add_option("--background-share", background_share, "override TrainOptions::background_share");
  CLI11_PARSE(app, argc, argv);

  std::cout << "MACHINE cpu=\"" << CpuModel() << "\" cores=" << std::thread::hardware_concurrency()
            << "\n";
  auto fail = [](const Status& s) {
    std::cerr << "error: " << s.ToString() << "\n";
    return 1;
  };
  ml::SetComputeThreads(threads);
  Result<std::unique_ptr<ml::Backbone>> bb = backbone_path.empty()
                                                 ? ml::LoadBuiltinBackbone(builtin)
                                                 : ml::LoadTorchScriptBackbone(backbone_path);
  if (!bb.ok()) return fail(bb.status());
  std::shared_ptr<const ml::Backbone> backbone = std::move(*bb);
  std::cout << "BACKBONE id=" << backbone->info().id << " sha256=" << backbone->info().sha256
            << "\n";

  auto source = ml::OpenDirectorySource(fs::path(data) / "train");
  if (!source.ok()) return fail(source.status());
  ml::TrainOptions opt;
  opt.seed = seed;
  opt.test_fraction = 0;  // logogen's test/ is the test set
  opt.ensure_test_image = false;
  opt.keypoints = !no_keypoints;
  if (open_set_share >= 0) opt.open_set_share = open_set_share;
  if (background_share >= 0) opt.background_share = background_share;
  SystemClock clock;
  auto t0 = std::chrono::steady_clock::now();
  Result<ml::TrainResult> trained = ml::Train(**source, *backbone, opt, clock);
  if (!trained.ok()) return fail(trained.status());
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto predictor = ml::Predictor::Create(trained->artifact, backbone);
  if (!predictor.ok()) return fail(predictor.status());
  ml::SetComputeThreads(1);

  const std::vector<std::string>& labels = (*predictor)->labels();
  std::vector<ml::EvalSample> samples;
  std::vector<double> ms;
  auto predict = [&](const fs::path& p) -> Result<ml::Prediction> {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(p));
    auto s = std::chrono::steady_clock::now();
    Result<ml::Prediction> r = (*predictor)->PredictBytes(bytes);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
    return r;
  };
  for (const fs::path& p : Files(fs::path(data) / "test")) {
    const std::string label = p.parent_path().filename().string();
    auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end()) continue;
    Result<ml::Prediction> r = predict(p);
    if (!r.ok()) return fail(r.status());
    int top = static_cast<int>(std::find(labels.begin(), labels.end(), r->labels[0].name) -
                               labels.begin());
    samples.push_back({static_cast<int>(it - labels.begin()), top, r->labels[0].confidence});
  }
  ml::Evaluation closed = ml::Evaluate(samples, labels, 0);
  ml::Evaluation closed70 = ml::Evaluate(samples, labels, threshold);
  std::vector<ml::EvalSample> open_samples = samples;  // + none/novel images, never correct
  auto false_accepts = [&](const char* dir, int* n) {
    int fa = 0;
    *n = 0;
    for (const fs::path& p : Files(fs::path(data) / dir)) {
      Result<ml::Prediction> r = predict(p);
      if (!r.ok()) continue;
      ++*n;
      if (r->labels[0].confidence >= threshold) ++fa;
      open_samples.push_back({-1, 0, r->labels[0].confidence});
    }
    return *n > 0 ? static_cast<double>(fa) / *n : 0.0;
  };
  int n_none = 0, n_novel = 0;
  const double fa_none = false_accepts("test_none", &n_none);
  const double fa_novel = false_accepts("test_novel", &n_novel);
  const double ece_open = ml::Evaluate(open_samples, labels, 0).ece;
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  const ml::ModelArtifact& a = trained->artifact;
  std::cout << "RESULT " << tag << ".labels=" << labels.size() << " count\n"
            << "RESULT " << tag << ".train_images=" << a.train_images << " count\n"
            << "RESULT " << tag << ".test_images=" << samples.size() << " count\n"
            << "RESULT " << tag << ".top1=" << closed.top1_accuracy << " ratio\n"
            << "RESULT " << tag << ".macro_f1=" << closed.macro_f1 << " ratio\n"
            << "RESULT " << tag << ".macro_f1_at_" << threshold << "=" << closed70.macro_f1
            << " ratio\n"
            << "RESULT " << tag << ".ece=" << closed.ece << " ratio\n"
            << "RESULT " << tag << ".ece_with_none_novel=" << ece_open << " ratio\n"
            << "RESULT " << tag << ".false_accept_none_at_" << threshold << "=" << fa_none
            << " ratio\n"
            << "RESULT " << tag << ".false_accept_novel_at_" << threshold << "=" << fa_novel
            << " ratio\n"
            << "RESULT " << tag << ".cv_top1=" << a.cv_top1 << " ratio\n"
            << "RESULT " << tag << ".temperature=" << a.calibration.temperature << " -\n"
            << "RESULT " << tag << ".keypoint_weight=" << a.calibration.evidence_weight << " -\n"
            << "RESULT " << tag << ".saliency_weight=" << a.calibration.saliency_weight << " -\n"
            << "HEAD " << tag << " type=" << a.head_type << "\n"
            << "RESULT " << tag << ".train_wall=" << train_s << " s\n"
            << "RESULT " << tag << ".predict_p50=" << pct(0.5) << " ms\n"
            << "RESULT " << tag << ".predict_p99=" << pct(0.99) << " ms\n";
  return 0;
}
