#pragma once
// ModelArtifact: one trained model version, stored as a directory (format version 1):
//   model.json        format, backbone reference (kind, id, sha256, preprocessing), labels,
//                     head weights, calibration, summary metrics, training facts
//   evaluation.json   the full Evaluation of the test split
//   manifest.jsonl    the Ground Truth training manifest (with the train/test split)
//   backbone.pt/.json only for a bring-your-own TorchScript backbone (copied in)
//   keypoints.bin     only with the keypoint first stage (KeypointVoter::Serialize)
// Builtin backbones are referenced by id and hash. Loading refuses unknown format versions,
// inconsistent shapes and a backbone whose hash differs from the recorded one.
// Value type; thread-compatible.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "ml/backbone.h"
#include "ml/calibration.h"
#include "ml/evaluation.h"
#include "ml/head.h"
#include "ml/keypoint_voter.h"

namespace loupe::ml {

inline constexpr int kArtifactFormatVersion = 1;

struct ModelArtifact {
  BackboneInfo backbone;
  std::vector<std::string> labels;  // sorted; the head's first labels.size() classes
  int none_class = -1;              // head class of `_none` negatives, or -1 if none trained
  LinearHead head;
  std::string head_type = "logistic";  // "logistic" or "prototype" (both linear at inference)
  Calibration calibration;
  // Optional classical first stage; its votes enter the calibrated logits as
  // calibration.evidence_weight * ln(1 + votes_c).
  std::shared_ptr<const KeypointVoter> keypoints;
  Evaluation evaluation;
  std::string created;  // RFC 3339
  uint64_t seed = 0;
  int train_images = 0;
  int test_images = 0;
  double training_seconds = 0;
  double cv_top1 = 0;  // top-1 of the held-out (cross-validation) predictions on training images
};

// ln(1 + votes) per label: the evidence CalibratedProbabilities adds.
std::vector<double> VoteEvidence(const std::vector<int>& votes);

// Writes the artifact directory (created if missing; files replaced). For a torchscript
// backbone, copies backbone.source and its .json in.
Status SaveArtifact(const ModelArtifact& artifact, std::string_view manifest,
                    const std::filesystem::path& dir);
// Reads and validates model.json and evaluation.json (the backbone is not loaded).
Result<ModelArtifact> ReadArtifact(const std::filesystem::path& dir);
// Loads the artifact's backbone and checks its hash.
Result<std::unique_ptr<Backbone>> LoadArtifactBackbone(const ModelArtifact& artifact,
                                                       const std::filesystem::path& dir);

// Builtin backbones by id ("logo_v1", ...), defined in builtin_backbones.cc. NotFound for an
// unknown id or missing weights.
Result<std::unique_ptr<Backbone>> LoadBuiltinBackbone(std::string_view id);
// Id of the embedded default backbone.
std::string_view DefaultBackboneId();

}  // namespace loupe::ml
