#pragma once
// Training entry point: dataset -> split -> decode -> embed (with augmentation) -> calibration
// by cross-validation -> final head -> evaluation on the test split -> ModelArtifact.
// Deterministic for a fixed seed, dataset and backbone (1 torch thread or not, the head and
// calibration are plain C++ in a fixed order). Thread-compatible: run one Train per thread.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ml/artifact.h"
#include "ml/backbone.h"
#include "ml/dataset.h"
#include "ml/head.h"

namespace loupe::ml {

enum class HeadType {
  kAuto,       // whichever of the two scores better top-1 in cross-validation
  kLogistic,   // TrainLinearHead
  kPrototype,  // TrainPrototypeHead (cosine to class means)
};

struct TrainOptions {
  uint64_t seed = 0;
  double test_fraction = 0.2;
  std::map<std::string, Split> pinned;  // from the previous version's manifest
  bool ensure_test_image = true;        // see DatasetOptions
  int augmentations = 3;                // augmented copies per training image
  HeadOptions head;
  HeadType head_type = HeadType::kAuto;
  int cv_folds = 5;
  // Open-set calibration: leave-one-label-out heads score each held-out label's images as
  // "none of these", so the fitted none logit learns what an unseen logo looks like. The
  // held-out-label samples get this share of the calibration weight.
  bool open_set = true;
  double open_set_share = 0.15;
  // With a backbone that has saliency: the background half of each training image (see
  // trainer.cc BackgroundCrop) scored as "none of these" with this share of the calibration
  // weight, which lets the calibration learn that photos without logo-like regions are "none".
  double background_share = 0.15;
  double eval_min_confidence = 0;  // threshold of Evaluation::macro_f1
  // Fuse the classical keypoint first stage (keypoint_voter.h) with the head: +~30 ms per
  // image at prediction and the training images' descriptors in the artifact (~1–2 MB for 200
  // images with a saliency-gating backbone, ~40 MB without). Its weight is fitted on the
  // held-out predictions (0 = no help, then dropped; so is a dataset without keypoints).
  bool keypoints = true;
  KeypointOptions keypoint_options;
  ImageLimits limits;
  int batch_size = 8;
};

struct TrainResult {
  ModelArtifact artifact;
  std::string manifest;  // Ground Truth JSON Lines, with the split
  std::vector<std::string> warnings;
};

// A part of a training image that shows none of its logo: the half (left, right, top or
// bottom) whose saliency peak is lowest, if that peak is more than `margin` below the image's
// peak (the keypoint gate's notion of "possibly logo") and the half is at least 32 px each way.
// Such background crops are the user's own scenes without any label: "none of these"
// evidence for the calibration (TrainOptions::background_share).
std::optional<Image> BackgroundCrop(const Image& image, const SaliencyMap& map, float margin);

// FailedPrecondition for an unusable dataset (see LoadDataset; also a label left without
// decodable training images). `clock` stamps the artifact and times the run.
Result<TrainResult> Train(const DatasetSource& source, const Backbone& backbone,
                          const TrainOptions& options, const Clock& clock,
                          const ProgressCallback& progress = nullptr);

// Evaluates a trained model on every image of `source` (labels it doesn't know are skipped
// with a warning; `_none/` images are negatives), as `loupe eval` does.
class Predictor;
Result<Evaluation> EvaluateOn(const Predictor& predictor, const DatasetSource& source,
                              double min_confidence, std::vector<std::string>* warnings);

}  // namespace loupe::ml
