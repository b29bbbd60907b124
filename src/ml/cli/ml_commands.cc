#include "ml/cli/ml_commands.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/file.h"
#include "ml/artifact.h"
#include "ml/dataset.h"
#include "ml/predictor.h"
#include "ml/trainer.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

// Thrown inside this file only, caught by Guarded(): ends a command with an exit code.
struct ExitCode {
  int code;
};

[[noreturn]] void Fail(const Status& status) {
  std::cerr << "error: " << status.ToString() << "\n";
  throw ExitCode{
      status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kNotFound ? 2
                                                                                              : 1};
}

// Runs `body` and stores its exit code.
std::function<void()> Guarded(int* exit_code, std::function<void()> body) {
  return [exit_code, body = std::move(body)] {
    try {
      body();
      *exit_code = 0;
    } catch (const ExitCode& e) {
      *exit_code = e.code;
    }
  };
}

template <typename T>
T OrFail(Result<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(r).value();
}

struct TrainArgs {
  std::string dataset, out, backbone, previous;
  std::string builtin{DefaultBackboneId()};
  uint64_t seed = 0;
  double test_fraction = 0.2;
  int augmentations = 3;
  int threads = 1;
  bool quiet = false;
  bool no_keypoints = false;
};

void RunTrain(const TrainArgs& args) {
  SetComputeThreads(args.threads);
  auto source = OrFail(OpenDirectorySource(args.dataset));
  std::unique_ptr<Backbone> backbone = args.backbone.empty()
                                           ? OrFail(LoadBuiltinBackbone(args.builtin))
                                           : OrFail(LoadTorchScriptBackbone(args.backbone));
  TrainOptions opt;
  opt.seed = args.seed;
  opt.test_fraction = args.test_fraction;
  opt.augmentations = args.augmentations;
  opt.keypoints = !args.no_keypoints;
  if (!args.previous.empty()) {
    opt.pinned =
        OrFail(ReadManifestSplits(OrFail(ReadFile(fs::path(args.previous) / "manifest.jsonl"))));
  }
  std::string last_phase;
  int last_decile = -1;
  auto progress = [&](const TrainingProgress& p) {
    if (args.quiet) return;
    int decile = p.total_steps > 0 ? 10 * p.step / p.total_steps : 0;
    if (p.phase != last_phase || decile != last_decile) {
      std::cerr << p.phase << " " << p.step << "/" << p.total_steps;
      if (p.loss > 0) std::cerr << " loss " << p.loss;
      std::cerr << "\n";
      last_phase = p.phase;
      last_decile = decile;
    }
  };
  SystemClock clock;
  TrainResult r = OrFail(Train(*source, *backbone, opt, clock, progress));
  for (const std::string& w : r.warnings) std::cerr << "warning: " << w << "\n";
  Status saved = SaveArtifact(r.artifact, r.manifest, args.out);
  if (!saved.ok()) Fail(saved);
  const Evaluation& e = r.artifact.evaluation;
  nlohmann::ordered_json summary = {{"Model", args.out},
                                    {"Backbone", r.artifact.backbone.id},
                                    {"Labels", r.artifact.labels},
                                    {"TrainImages", r.artifact.train_images},
                                    {"TestImages", r.artifact.test_images},
                                    {"Top1Accuracy", e.top1_accuracy},
                                    {"MacroF1", e.macro_f1},
                                    {"ExpectedCalibrationError", e.ece},
                                    {"TrainingSeconds", r.artifact.training_seconds}};
  std::cout << summary.dump() << "\n";
}

void RunEval(const std::string& model, const std::string& dataset, double min_confidence,
             int threads) {
  SetComputeThreads(threads);
  auto predictor = OrFail(Predictor::Load(model));
  auto source = OrFail(OpenDirectorySource(dataset));
  std::vector<std::string> warnings;
  Evaluation e = OrFail(EvaluateOn(*predictor, *source, min_confidence, &warnings));
  for (const std::string& w : warnings) std::cerr << "warning: " << w << "\n";
  nlohmann::json j = e;
  std::cout << j.dump(2) << "\n";
}

void RunPredict(const std::string& model, const std::vector<std::string>& images,
                double min_confidence, int max_results, int threads) {
  SetComputeThreads(threads);
  auto predictor = OrFail(Predictor::Load(model));
  int failures = 0;
  for (const std::string& path : images) {
    Result<std::string> bytes = ReadFile(path);
    Result<Prediction> p =
        bytes.ok() ? predictor->PredictBytes(*bytes) : Result<Prediction>(bytes.status());
    if (!p.ok()) {
      std::cerr << "error: " << path << ": " << p.status().ToString() << "\n";
      ++failures;
      continue;
    }
    nlohmann::ordered_json labels = nlohmann::ordered_json::array();
    for (const LabelConfidence& l : p->labels) {
      if (l.confidence < min_confidence) break;
      if (max_results > 0 && static_cast<int>(labels.size()) >= max_results) break;
      labels.push_back({{"Name", l.name}, {"Confidence", l.confidence}});
    }
    nlohmann::ordered_json line = {{"Image", path}, {"CustomLabels", labels}};
    std::cout << line.dump() << "\n";
  }
  if (failures > 0) throw ExitCode{1};
}

}  // namespace

void RegisterMlCommands(CLI::App& app, int* exit_code) {
  auto train_args = std::make_shared<TrainArgs>();
  CLI::App* train =
      app.add_subcommand("train", "Train a model offline from a folder of labelled images");
  train
      ->add_option("--dataset", train_args->dataset,
                   "Folder with one sub-folder per label (and _none/)")
      ->required()
      ->check(CLI::ExistingDirectory);
  train->add_option("--out", train_args->out, "Model directory to write")->required();
  train->add_option("--seed", train_args->seed, "Seed for augmentation and folds");
  train
      ->add_option("--backbone", train_args->backbone,
                   "Bring-your-own TorchScript backbone (.pt with a .json beside it)")
      ->check(CLI::ExistingFile);
  train->add_option("--builtin", train_args->builtin,
                    "Builtin backbone: logo_v1_480 (default) or logo_v1 (faster, less accurate)");
  train->add_option("--previous", train_args->previous,
                    "Previous model directory: keep its train/test split");
  train->add_option("--test-fraction", train_args->test_fraction, "Share of images held out")
      ->check(CLI::Range(0.0, 0.9));
  train->add_option("--augmentations", train_args->augmentations, "Augmented copies per image")
      ->check(CLI::Range(0, 32));
  train->add_option("--threads", train_args->threads, "Compute threads")->check(CLI::Range(1, 256));
  train->add_flag("--quiet", train_args->quiet, "No progress on stderr");
  train->add_flag("--no-keypoints", train_args->no_keypoints,
                  "Leave out the SIFT keypoint stage (faster, less accurate; see docs/ml.md)");
  train->callback(Guarded(exit_code, [train_args] { RunTrain(*train_args); }));

  struct EvalArgs {
    std::string model, dataset;
    double min_confidence = 0;
    int threads = 1;
  };
  auto eval_args = std::make_shared<EvalArgs>();
  CLI::App* eval = app.add_subcommand("eval", "Evaluate a model on a folder of labelled images");
  eval->add_option("--model", eval_args->model, "Model directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  eval->add_option("--dataset", eval_args->dataset, "Folder with one sub-folder per label")
      ->required()
      ->check(CLI::ExistingDirectory);
  eval->add_option("--min-confidence", eval_args->min_confidence,
                   "Answers below this confidence count as no answer (0-100)")
      ->check(CLI::Range(0.0, 100.0));
  eval->add_option("--threads", eval_args->threads, "Compute threads")->check(CLI::Range(1, 256));
  eval->callback(Guarded(exit_code, [eval_args] {
    RunEval(eval_args->model, eval_args->dataset, eval_args->min_confidence, eval_args->threads);
  }));

  struct PredictArgs {
    std::string model;
    std::vector<std::string> images;
    double min_confidence = 0;
    int max_results = 0;
    int threads = 1;
  };
  auto predict_args = std::make_shared<PredictArgs>();
  CLI::App* predict =
      app.add_subcommand("predict", "Print the custom labels of images, one JSON line each");
  predict->add_option("--model", predict_args->model, "Model directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  predict->add_option("--min-confidence", predict_args->min_confidence, "Omit labels below (0-100)")
      ->check(CLI::Range(0.0, 100.0));
  predict
      ->add_option("--max-results", predict_args->max_results, "At most this many labels (0: all)")
      ->check(CLI::NonNegativeNumber);
  predict->add_option("--threads", predict_args->threads, "Compute threads")
      ->check(CLI::Range(1, 256));
  predict->add_option("images", predict_args->images, "Image files")->required();
  predict->callback(Guarded(exit_code, [predict_args] {
    RunPredict(predict_args->model, predict_args->images, predict_args->min_confidence,
               predict_args->max_results, predict_args->threads);
  }));
}

}  // namespace loupe::ml
