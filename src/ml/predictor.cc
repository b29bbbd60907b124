#include "ml/predictor.h"

#include <algorithm>

namespace loupe::ml {

Result<std::unique_ptr<Predictor>> Predictor::Load(const std::filesystem::path& dir) {
  ASSIGN_OR_RETURN(ModelArtifact artifact, ReadArtifact(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<Backbone> backbone, LoadArtifactBackbone(artifact, dir));
  return Create(std::move(artifact), std::shared_ptr<const Backbone>(std::move(backbone)));
}

Result<std::unique_ptr<Predictor>> Predictor::Create(ModelArtifact artifact,
                                                     std::shared_ptr<const Backbone> backbone) {
  if (!backbone) return InvalidArgumentError("no backbone");
  if (backbone->info().sha256 != artifact.backbone.sha256 ||
      backbone->info().embedding_dim != artifact.head.dim) {
    return FailedPreconditionError("backbone does not match the model");
  }
  return std::unique_ptr<Predictor>(new Predictor(std::move(artifact), std::move(backbone)));
}

DecodeOptions Predictor::DecodeOptionsFor(const ImageLimits& limits) const {
  DecodeOptions opt;
  opt.limits = limits;
  const Preprocessing& p = artifact_.backbone.preprocessing;
  opt.min_short_side = std::max(p.input_width, p.input_height);
  if (artifact_.keypoints) {
    opt.min_short_side =
        std::max(opt.min_short_side, artifact_.keypoints->options().max_side * 3 / 4);
  }
  return opt;
}

Prediction Predictor::FromEmbedding(const float* embedding, const std::vector<int>* votes,
                                    double saliency_peak) const {
  std::vector<double> evidence;
  if (votes) evidence = VoteEvidence(*votes);
  std::vector<double> probs = CalibratedProbabilities(
      artifact_.head.Logits(embedding), artifact_.calibration, &evidence, saliency_peak);
  Prediction out;
  out.none_confidence = 100 * probs.back();
  if (artifact_.none_class >= 0) out.none_confidence += 100 * probs[artifact_.none_class];
  for (size_t k = 0; k < artifact_.labels.size(); ++k) {
    out.labels.push_back({artifact_.labels[k], 100 * probs[k]});
  }
  std::stable_sort(out.labels.begin(), out.labels.end(),
                   [](const LabelConfidence& a, const LabelConfidence& b) {
                     return a.confidence > b.confidence;
                   });
  return out;
}

Result<std::vector<Prediction>> Predictor::PredictBatch(
    const std::vector<const Image*>& images) const {
  ASSIGN_OR_RETURN(BackboneOutput emb, backbone_->Forward(images, false));
  std::vector<Prediction> out;
  out.reserve(emb.count);
  for (int i = 0; i < emb.count; ++i) {
    const SaliencyMap* saliency =
        static_cast<size_t>(i) < emb.saliency.size() ? &emb.saliency[i] : nullptr;
    std::vector<int> votes;
    if (artifact_.keypoints) {
      votes = artifact_.keypoints->Votes(
          ExtractKeypoints(*images[i], artifact_.keypoints->options(), saliency));
    }
    out.push_back(FromEmbedding(&emb.embeddings[static_cast<size_t>(i) * emb.dim],
                                artifact_.keypoints ? &votes : nullptr, SaliencyPeak(saliency)));
  }
  return out;
}

Result<Prediction> Predictor::PredictBytes(std::string_view bytes,
                                           const ImageLimits& limits) const {
  ASSIGN_OR_RETURN(Image image, DecodeImage(bytes, DecodeOptionsFor(limits)));
  ASSIGN_OR_RETURN(std::vector<Prediction> out, PredictBatch({&image}));
  return std::move(out.front());
}

}  // namespace loupe::ml
