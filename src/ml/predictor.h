#pragma once
// Predictor: a loaded model (artifact + backbone) answering "which labels does this image
// show, with what confidence". Immutable after creation and thread-safe: one Predictor may be
// shared by every inference-unit thread (the backbone's Forward is thread-safe, the head and
// calibration are read-only values). Hold it in a std::shared_ptr<const Predictor> to swap
// models without stopping readers.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ml/artifact.h"
#include "ml/backbone.h"
#include "ml/image_decode.h"

namespace loupe::ml {

struct LabelConfidence {
  std::string name;
  double confidence = 0;  // 0..100, calibrated
};

struct Prediction {
  std::vector<LabelConfidence> labels;  // every label, highest confidence first
  double none_confidence = 0;           // 0..100: "none of the labels"
};

class Predictor {
 public:
  // Loads the artifact directory and its backbone; FailedPrecondition if incompatible.
  static Result<std::unique_ptr<Predictor>> Load(const std::filesystem::path& artifact_dir);
  // From an artifact in memory and a backbone that matches it (used right after training).
  static Result<std::unique_ptr<Predictor>> Create(ModelArtifact artifact,
                                                   std::shared_ptr<const Backbone> backbone);

  const ModelArtifact& artifact() const { return artifact_; }
  const std::vector<std::string>& labels() const { return artifact_.labels; }

  // Header checks, decode, predict. InvalidArgument / PayloadTooLarge for bad images.
  Result<Prediction> PredictBytes(std::string_view image_bytes,
                                  const ImageLimits& limits = {}) const;
  // Batch inference on decoded images (one backbone call).
  Result<std::vector<Prediction>> PredictBatch(const std::vector<const Image*>& images) const;
  // The decode options that fit this model's input (DCT-scaled JPEG decode).
  DecodeOptions DecodeOptionsFor(const ImageLimits& limits) const;
  // Head (+ keypoint votes, one per label, when the model has the keypoint stage) and
  // calibration on an embedding (dim floats); `saliency_peak` is the image's highest saliency
  // logit (Calibration::saliency_weight), 0 without one.
  Prediction FromEmbedding(const float* embedding, const std::vector<int>* votes = nullptr,
                           double saliency_peak = 0) const;
  // Whether the model has the keypoint stage (needs larger decoded images).
  bool uses_keypoints() const { return artifact_.keypoints != nullptr; }

 private:
  Predictor(ModelArtifact artifact, std::shared_ptr<const Backbone> backbone)
      : artifact_(std::move(artifact)), backbone_(std::move(backbone)) {}

  const ModelArtifact artifact_;
  const std::shared_ptr<const Backbone> backbone_;
};

}  // namespace loupe::ml
