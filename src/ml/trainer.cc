#include "ml/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/sha256.h"
#include "ml/augment.h"
#include "ml/calibration.h"
#include "ml/predictor.h"

namespace loupe::ml {
namespace {

struct Embedded {
  int image = 0;         // index into the dataset's images
  int cls = -1;          // head class; for test images of `_none`, the none class or -1
  bool original = true;  // false for augmented copies
  std::vector<float> embedding;
  KeypointSet keypoints;  // originals only, with TrainOptions::keypoints
  int voter_image = -1;   // index in the KeypointVoter (label-class train originals)
  std::vector<int> votes;
};

int ArgMaxLabel(const std::vector<double>& probs, int k) {
  return static_cast<int>(std::max_element(probs.begin(), probs.begin() + k) - probs.begin());
}

}  // namespace

Result<TrainResult> Train(const DatasetSource& source, const Backbone& backbone,
                          const TrainOptions& options, const Clock& clock,
                          const ProgressCallback& progress) {
  const TimePoint start = clock.Now();
  DatasetOptions dopt;
  dopt.test_fraction = options.test_fraction;
  dopt.pinned = options.pinned;
  dopt.ensure_test_image = options.ensure_test_image;
  ASSIGN_OR_RETURN(Dataset ds, LoadDataset(source, dopt));
  TrainResult result;
  result.warnings = ds.warnings;
  const int k = static_cast<int>(ds.labels.size());
  std::map<std::string, int> index;
  for (int i = 0; i < k; ++i) index[ds.labels[i]] = i;
  const bool has_none = std::any_of(ds.images.begin(), ds.images.end(), [](const DatasetImage& i) {
    return i.label == kNoneLabel && i.split == Split::kTrain;
  });
  const int none_class = has_none ? k : -1;
  const int num_classes = k + (has_none ? 1 : 0);

  // Decode and embed: train images with augmented copies, test images as they are.
  DecodeOptions decode;
  decode.limits = options.limits;
  const Preprocessing& pre = backbone.info().preprocessing;
  decode.min_short_side = std::max(pre.input_width, pre.input_height);
  if (options.keypoints) {
    decode.min_short_side =
        std::max(decode.min_short_side, options.keypoint_options.max_side * 3 / 4);
  }
  std::vector<Embedded> train, test;
  const int dim = backbone.info().embedding_dim;
  for (size_t i = 0; i < ds.images.size(); ++i) {
    const DatasetImage& img = ds.images[i];
    if (progress)
      progress({"embed", static_cast<int>(i) + 1, static_cast<int>(ds.images.size()), 0});
    Result<std::string> bytes = source.Read(img.key);
    Result<Image> decoded =
        bytes.ok() ? DecodeImage(*bytes, decode) : Result<Image>(bytes.status());
    if (!decoded.ok()) {
      result.warnings.push_back("'" + img.key + "' skipped: " + decoded.status().message());
      continue;
    }
    const bool is_test = img.split == Split::kTest;
    std::vector<Image> copies;
    if (!is_test) {
      std::mt19937_64 rng(options.seed ^ std::hash<std::string>()(img.sha256));
      for (int a = 0; a < options.augmentations; ++a) copies.push_back(Augment(*decoded, rng));
    }
    std::vector<const Image*> batch = {&*decoded};
    for (const Image& c : copies) batch.push_back(&c);
    ASSIGN_OR_RETURN(BackboneOutput out, backbone.Forward(batch, false));
    const int cls = img.label == kNoneLabel ? none_class : index[img.label];
    for (int b = 0; b < out.count; ++b) {
      Embedded e;
      e.image = static_cast<int>(i);
      e.cls = cls;
      e.original = b == 0;
      if (b == 0 && options.keypoints) {
        e.keypoints = ExtractKeypoints(*decoded, options.keypoint_options,
                                       out.saliency.empty() ? nullptr : &out.saliency[0]);
      }
      e.embedding.assign(out.embeddings.begin() + static_cast<size_t>(b) * dim,
                         out.embeddings.begin() + static_cast<size_t>(b + 1) * dim);
      (is_test ? test : train).push_back(std::move(e));
    }
  }
  for (int c = 0; c < k; ++c) {
    if (std::none_of(train.begin(), train.end(), [&](const Embedded& e) { return e.cls == c; })) {
      return FailedPreconditionError("label '" + ds.labels[c] + "' has no usable training image");
    }
  }

  // Keypoint first stage: index the label-class training originals; leave-one-out votes for
  // them, plain votes for the rest.
  std::shared_ptr<const KeypointVoter> voter;
  if (options.keypoints) {
    std::vector<KeypointSet> sets;
    std::vector<int> classes;
    for (Embedded& e : train) {
      if (!e.original || e.cls < 0 || e.cls >= k) continue;
      e.voter_image = static_cast<int>(sets.size());
      sets.push_back(e.keypoints);
      classes.push_back(e.cls);
    }
    Result<std::unique_ptr<KeypointVoter>> built =
        KeypointVoter::Build(std::move(sets), std::move(classes), k, options.keypoint_options);
    if (built.ok()) {
      voter = std::move(*built);
    } else if (built.status().code() == StatusCode::kFailedPrecondition) {
      result.warnings.push_back("keypoint stage dropped: " + built.status().message());
    } else {
      return built.status();
    }
    for (std::vector<Embedded>* set : {&train, &test}) {
      for (Embedded& e : *set) {
        if (voter && e.original) e.votes = voter->Votes(e.keypoints, e.voter_image);
        e.keypoints = KeypointSet{};
      }
    }
  }
  std::vector<std::vector<int>> sample_votes;  // parallel to the calibration samples

  auto fit = [&](const std::function<bool(const Embedded&)>& use, const std::string& phase,
                 HeadType type) {
    std::vector<float> x;
    std::vector<int> y;
    for (const Embedded& e : train) {
      if (!use(e)) continue;
      x.insert(x.end(), e.embedding.begin(), e.embedding.end());
      y.push_back(e.cls);
    }
    if (type == HeadType::kPrototype) return TrainPrototypeHead(x, y, dim, num_classes);
    return TrainLinearHead(x, y, dim, num_classes, options.head, progress, phase);
  };

  // Calibration on held-out predictions: k-fold by image, plus leave-one-label-out.
  std::vector<int> fold(ds.images.size(), 0);
  int originals = 0;
  for (const Embedded& e : train) originals += e.original ? 1 : 0;
  const int folds = std::min(options.cv_folds, originals);
  for (size_t i = 0; i < ds.images.size(); ++i) {
    fold[i] =
        std::min(folds - 1, static_cast<int>(SplitScore(Sha256Hex(std::to_string(options.seed) +
                                                                  ":" + ds.images[i].sha256)) *
                                             folds));
  }
  double cv_top1 = 0;
  HeadType head_type =
      options.head_type == HeadType::kAuto ? HeadType::kLogistic : options.head_type;
  Calibration calibration;
  if (folds >= 2) {
    const std::vector<HeadType> candidates =
        options.head_type == HeadType::kAuto
            ? std::vector<HeadType>{HeadType::kLogistic, HeadType::kPrototype}
            : std::vector<HeadType>{options.head_type};
    std::vector<std::vector<CalibrationSample>> oof(candidates.size());
    std::vector<int> oof_correct(candidates.size(), 0);
    for (size_t t = 0; t < candidates.size(); ++t) {
      for (int f = 0; f < folds; ++f) {
        ASSIGN_OR_RETURN(LinearHead h, fit([&](const Embedded& e) { return fold[e.image] != f; },
                                           "cross-validation", candidates[t]));
        for (const Embedded& e : train) {
          if (!e.original || fold[e.image] != f) continue;
          std::vector<double> z = h.Logits(e.embedding.data());
          if (e.cls >= 0 && e.cls < k) {
            oof_correct[t] +=
                static_cast<int>(std::max_element(z.begin(), z.begin() + k) - z.begin()) == e.cls;
          }
          oof[t].push_back({std::move(z), e.cls, 1.0, {}});
          if (t == 0) sample_votes.push_back(e.votes);
        }
      }
    }
    const size_t best = static_cast<size_t>(
        std::max_element(oof_correct.begin(), oof_correct.end()) - oof_correct.begin());
    head_type = candidates[best];
    int labelled = 0;
    for (const CalibrationSample& c : oof[best]) labelled += c.target >= 0 && c.target < k;
    cv_top1 = labelled > 0 ? static_cast<double>(oof_correct[best]) / labelled : 0;
    std::vector<CalibrationSample> samples = std::move(oof[best]);
    const size_t known = samples.size();
    const bool open_set = options.open_set && k >= 3;
    if (open_set) {
      for (int c = 0; c < k; ++c) {
        ASSIGN_OR_RETURN(LinearHead h, fit([&](const Embedded& e) { return e.cls != c; },
                                           "open-set calibration", head_type));
        for (const Embedded& e : train) {
          if (!e.original || e.cls != c) continue;
          std::vector<double> z = h.Logits(e.embedding.data());
          z[c] = -1e4;  // a model that has never heard of label c
          samples.push_back({std::move(z), -1, 1.0, {}});
          std::vector<int> votes = e.votes;
          if (!votes.empty()) votes[c] = 0;
          sample_votes.push_back(std::move(votes));
        }
      }
      const size_t held_out = samples.size() - known;
      const double share = std::clamp(options.open_set_share, 0.0, 0.9);
      const double w = held_out > 0 ? share / (1 - share) * known / held_out : 0;
      for (size_t s = known; s < samples.size(); ++s) samples[s].weight = w;
    }
    for (size_t i = 0; i < samples.size(); ++i) samples[i].evidence = VoteEvidence(sample_votes[i]);
    const std::vector<double> weights =
        voter ? std::vector<double>{0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0}
              : std::vector<double>{0.0};
    ASSIGN_OR_RETURN(calibration, FitCalibration(samples, open_set, none_class, weights));
  } else {
    result.warnings.push_back("too few training images to calibrate; confidences uncalibrated");
  }

  ASSIGN_OR_RETURN(LinearHead head, fit([](const Embedded&) { return true; }, "head", head_type));

  ModelArtifact& a = result.artifact;
  a.backbone = backbone.info();
  a.labels = ds.labels;
  a.none_class = none_class;
  a.head = std::move(head);
  a.head_type = head_type == HeadType::kPrototype ? "prototype" : "logistic";
  a.calibration = calibration;
  if (voter && calibration.evidence_weight > 0) a.keypoints = voter;
  a.created = FormatRfc3339(clock.Now());
  a.seed = options.seed;
  a.cv_top1 = cv_top1;
  for (const DatasetImage& img : ds.images)
    (img.split == Split::kTest ? a.test_images : a.train_images)++;

  std::vector<EvalSample> eval;
  for (size_t t = 0; t < test.size(); ++t) {
    const Embedded& e = test[t];
    if (progress) progress({"evaluate", static_cast<int>(t) + 1, static_cast<int>(test.size()), 0});
    const std::vector<double> evidence = VoteEvidence(e.votes);
    std::vector<double> p =
        CalibratedProbabilities(a.head.Logits(e.embedding.data()), a.calibration, &evidence);
    int top = ArgMaxLabel(p, k);
    const bool is_none = ds.images[e.image].label == kNoneLabel;
    eval.push_back({is_none ? -1 : e.cls, top, 100 * p[top]});
  }
  a.evaluation = Evaluate(eval, ds.labels, options.eval_min_confidence);
  a.training_seconds = std::chrono::duration<double>(clock.Now() - start).count();
  result.manifest = WriteManifest(ds, source, clock.Now());
  return result;
}

Result<Evaluation> EvaluateOn(const Predictor& predictor, const DatasetSource& source,
                              double min_confidence, std::vector<std::string>* warnings) {
  ASSIGN_OR_RETURN(SourceListing listing, source.List());
  const std::vector<std::string>& labels = predictor.labels();
  std::vector<EvalSample> samples;
  for (const SourceEntry& e : listing.entries) {
    const size_t slash = e.key.find('/');
    if (slash == std::string::npos) continue;
    const std::string label = e.key.substr(0, slash);
    int truth = -1;
    if (label != kNoneLabel) {
      auto it = std::find(labels.begin(), labels.end(), label);
      if (it == labels.end()) {
        if (warnings) warnings->push_back("'" + e.key + "': label unknown to the model; skipped");
        continue;
      }
      truth = static_cast<int>(it - labels.begin());
    }
    Result<std::string> bytes = source.Read(e.key);
    Result<Prediction> p =
        bytes.ok() ? predictor.PredictBytes(*bytes) : Result<Prediction>(bytes.status());
    if (!p.ok()) {
      if (warnings) warnings->push_back("'" + e.key + "' skipped: " + p.status().message());
      continue;
    }
    const LabelConfidence& top = p->labels.front();
    const int predicted =
        static_cast<int>(std::find(labels.begin(), labels.end(), top.name) - labels.begin());
    samples.push_back({truth, predicted, top.confidence});
  }
  if (samples.empty()) return FailedPreconditionError("no evaluable images in the dataset");
  return Evaluate(samples, labels, min_confidence);
}

}  // namespace loupe::ml
