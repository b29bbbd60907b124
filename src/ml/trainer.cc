#include "ml/trainer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>
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
  double saliency_peak = 0;  // SaliencyPeak of its saliency map (0 without one)
};

int ArgMaxLabel(const std::vector<double>& probs, int k) {
  return static_cast<int>(std::max_element(probs.begin(), probs.begin() + k) - probs.begin());
}

}  // namespace

std::optional<Image> BackgroundCrop(const Image& image, const SaliencyMap& map, float margin) {
  if (map.width < 2 || map.height < 2 ||
      map.logits.size() != static_cast<size_t>(map.width) * map.height) {
    return std::nullopt;
  }
  const double top = SaliencyPeak(&map);
  // Cell rectangles [c0, c1) x [r0, r1) of the four halves.
  const int hw = map.width / 2, hh = map.height / 2;
  const std::array<std::array<int, 4>, 4> halves = {{{0, hw, 0, map.height},
                                                     {map.width - hw, map.width, 0, map.height},
                                                     {0, map.width, 0, hh},
                                                     {0, map.width, map.height - hh, map.height}}};
  double best = 1e300;
  const std::array<int, 4>* pick = nullptr;
  for (const auto& h : halves) {
    double peak = -1e300;
    for (int r = h[2]; r < h[3]; ++r) {
      for (int c = h[0]; c < h[1]; ++c) {
        peak =
            std::max(peak, static_cast<double>(map.logits[static_cast<size_t>(r) * map.width + c]));
      }
    }
    if (peak < best) {
      best = peak;
      pick = &h;
    }
  }
  if (!pick || best > top - margin) return std::nullopt;
  const double sx = static_cast<double>(image.width) / map.width;
  const double sy = static_cast<double>(image.height) / map.height;
  const int x0 = static_cast<int>((*pick)[0] * sx), x1 = static_cast<int>((*pick)[1] * sx);
  const int y0 = static_cast<int>((*pick)[2] * sy), y1 = static_cast<int>((*pick)[3] * sy);
  if (x1 - x0 < 32 || y1 - y0 < 32) return std::nullopt;
  Image crop;
  crop.width = x1 - x0;
  crop.height = y1 - y0;
  crop.rgb.resize(static_cast<size_t>(crop.width) * crop.height * 3);
  for (int y = 0; y < crop.height; ++y) {
    const uint8_t* src = &image.rgb[(static_cast<size_t>(y0 + y) * image.width + x0) * 3];
    std::copy(src, src + static_cast<size_t>(crop.width) * 3,
              &crop.rgb[static_cast<size_t>(y) * crop.width * 3]);
  }
  return crop;
}

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
  const bool open_set = options.open_set && k >= 3;
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
  std::vector<Embedded> backgrounds;  // BackgroundCrop of training originals, class none
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
      if (static_cast<size_t>(b) < out.saliency.size()) {
        e.saliency_peak = SaliencyPeak(&out.saliency[b]);
      }
      (is_test ? test : train).push_back(std::move(e));
    }
    if (is_test || !open_set || options.background_share <= 0 || out.saliency.empty() ||
        cls == none_class) {
      continue;
    }
    std::optional<Image> crop =
        BackgroundCrop(*decoded, out.saliency[0], options.keypoint_options.saliency_margin);
    if (!crop) continue;
    ASSIGN_OR_RETURN(BackboneOutput bg, backbone.Forward({&*crop}, false));
    Embedded e;
    e.image = static_cast<int>(i);
    e.cls = -1;
    e.embedding.assign(bg.embeddings.begin(), bg.embeddings.begin() + dim);
    const SaliencyMap* map = bg.saliency.empty() ? nullptr : &bg.saliency[0];
    e.saliency_peak = SaliencyPeak(map);
    if (options.keypoints) e.keypoints = ExtractKeypoints(*crop, options.keypoint_options, map);
    backgrounds.push_back(std::move(e));
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
    std::map<int, int> voter_image;  // dataset image -> its index in the voter
    for (const Embedded& e : train) {
      if (e.voter_image >= 0) voter_image[e.image] = e.voter_image;
    }
    for (Embedded& e : backgrounds) {
      auto it = voter_image.find(e.image);
      e.voter_image = it == voter_image.end() ? -1 : it->second;  // votes leave its image out
    }
    for (std::vector<Embedded>* set : {&train, &test, &backgrounds}) {
      for (Embedded& e : *set) {
        if (voter && e.original) e.votes = voter->Votes(e.keypoints, e.voter_image);
        e.keypoints = KeypointSet{};
      }
    }
  }
  // Parallel to the calibration samples: their keypoint votes and what kind of sample each is.
  enum class SampleKind { kKnown, kBackground, kHeldOutLabel };
  std::vector<std::vector<int>> sample_votes;
  std::vector<SampleKind> sample_kind;

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
          oof[t].push_back({std::move(z), e.cls, 1.0, {}, e.saliency_peak});
          if (t == 0) {
            sample_votes.push_back(e.votes);
            sample_kind.push_back(SampleKind::kKnown);
          }
        }
        for (const Embedded& e : backgrounds) {
          if (fold[e.image] != f) continue;
          oof[t].push_back({h.Logits(e.embedding.data()), -1, 1.0, {}, e.saliency_peak});
          if (t == 0) {
            sample_votes.push_back(e.votes);
            sample_kind.push_back(SampleKind::kBackground);
          }
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
    if (open_set) {
      for (int c = 0; c < k; ++c) {
        ASSIGN_OR_RETURN(LinearHead h, fit([&](const Embedded& e) { return e.cls != c; },
                                           "open-set calibration", head_type));
        for (const Embedded& e : train) {
          if (!e.original || e.cls != c) continue;
          std::vector<double> z = h.Logits(e.embedding.data());
          z[c] = -1e4;  // a model that has never heard of label c
          samples.push_back({std::move(z), -1, 1.0, {}, e.saliency_peak});
          std::vector<int> votes = e.votes;
          if (!votes.empty()) votes[c] = 0;
          sample_votes.push_back(std::move(votes));
          sample_kind.push_back(SampleKind::kHeldOutLabel);
        }
      }
    }
    // Weights: the known-label samples keep 1 each; the held-out-label samples share
    // open_set_share and the background crops background_share of the total weight.
    std::map<SampleKind, double> count;
    for (SampleKind kind : sample_kind) count[kind] += 1;
    std::map<SampleKind, double> share;
    share[SampleKind::kHeldOutLabel] = std::clamp(options.open_set_share, 0.0, 0.45);
    share[SampleKind::kBackground] = open_set ? std::clamp(options.background_share, 0.0, 0.45) : 0;
    double rest = 1;
    for (const auto& [kind, n] : count) rest -= kind == SampleKind::kKnown ? 0 : share[kind];
    for (size_t s = 0; s < samples.size(); ++s) {
      const SampleKind kind = sample_kind[s];
      samples[s].weight = kind == SampleKind::kKnown
                              ? 1.0
                              : share[kind] / rest * count[SampleKind::kKnown] / count[kind];
    }
    for (size_t i = 0; i < samples.size(); ++i) samples[i].evidence = VoteEvidence(sample_votes[i]);
    const std::vector<double> weights =
        voter ? std::vector<double>{0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0}
              : std::vector<double>{0.0};
    const bool has_saliency = std::any_of(train.begin(), train.end(),
                                          [](const Embedded& e) { return e.saliency_peak != 0; });
    const std::vector<double> saliency_weights =
        has_saliency ? std::vector<double>{0.0, 0.25, 0.5, 1.0, 1.5} : std::vector<double>{0.0};
    ASSIGN_OR_RETURN(calibration,
                     FitCalibration(samples, open_set, none_class, weights, saliency_weights));
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
    std::vector<double> p = CalibratedProbabilities(a.head.Logits(e.embedding.data()),
                                                    a.calibration, &evidence, e.saliency_peak);
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
