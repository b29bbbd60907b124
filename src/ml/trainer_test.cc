#include "ml/trainer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

#include "core/temp_dir.h"
#include "ml/predictor.h"
#include "ml/tiny_model_for_test.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

// Noise photos with a coloured disc ("logo") of the label's colour; _none has no disc. The noise
// comes from `noise`, not OpenCV's thread-local RNG, so the images do not depend on what ran
// before in the process (the test order, a --gtest_filter).
void WriteScene(const fs::path& path, int colour, std::mt19937& rng, cv::RNG& noise) {
  cv::Mat m(96, 128, CV_8UC3);
  noise.fill(m, cv::RNG::UNIFORM, cv::Scalar::all(60), cv::Scalar::all(160));
  static const cv::Scalar kColours[] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {0, 255, 255}};
  if (colour >= 0) {
    cv::circle(m, cv::Point(30 + rng() % 60, 30 + rng() % 40), 22 + rng() % 6, kColours[colour],
               -1);
  }
  fs::create_directories(path.parent_path());
  cv::imwrite(path.string(), m);
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The one skip: a machine without python3-torch (scripts/setup.sh installs it, and CI's
    // `make test` runs that first, so CI never skips).
    if (!MakeTinyModel(dir_.path())) GTEST_SKIP() << "python3-torch not installed";
    // The keypoint index's randomised k-d trees (FLANN) draw from OpenCV's thread-local RNG:
    // reset it so training sees the same state whatever ran before in this thread.
    cv::theRNG() = cv::RNG(kOpenCvSeed);
    std::mt19937 rng(3);
    cv::RNG noise(3);
    const char* labels[] = {"red", "green", "blue", "yellow"};
    for (int c = 0; c < 4; ++c) {
      for (int i = 0; i < 12; ++i)
        WriteScene(data() / labels[c] / (std::to_string(i) + ".jpg"), c, rng, noise);
    }
    for (int i = 0; i < 8; ++i)
      WriteScene(data() / "_none" / (std::to_string(i) + ".jpg"), -1, rng, noise);
    WriteFile(data() / "red" / "broken.jpg", "\xff\xd8\xff garbage");
    auto bb = LoadTorchScriptBackbone(dir_.path() / "tiny.pt");
    ASSERT_TRUE(bb.ok()) << bb.status();
    backbone_ = std::move(*bb);
  }
  static void WriteFile(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  static constexpr uint64_t kOpenCvSeed = 0x10c0;
  fs::path data() const { return dir_.path() / "data"; }

  TempDir dir_;
  std::shared_ptr<const Backbone> backbone_;
  FakeClock clock_;
};

TEST_F(TrainerTest, TrainsEvaluatesSavesAndReloadsTheSameModel) {
  auto src = OpenDirectorySource(data());
  ASSERT_TRUE(src.ok());
  TrainOptions opt;
  opt.seed = 5;
  std::vector<std::string> phases;
  Result<TrainResult> r = Train(**src, *backbone_, opt, clock_, [&](const TrainingProgress& p) {
    if (phases.empty() || phases.back() != p.phase) phases.push_back(p.phase);
  });
  ASSERT_TRUE(r.ok()) << r.status();
  const ModelArtifact& a = r->artifact;
  EXPECT_EQ(a.labels, (std::vector<std::string>{"blue", "green", "red", "yellow"}));
  EXPECT_EQ(a.none_class, 4);
  EXPECT_EQ(a.head.num_classes, 5);
  EXPECT_TRUE(a.calibration.has_none_logit);
  EXPECT_GT(a.calibration.temperature, 0);
  EXPECT_GT(a.evaluation.top1_accuracy, 0.5) << nlohmann::json(a.evaluation).dump();
  EXPECT_GE(a.evaluation.test_images, 4);
  EXPECT_EQ(phases, (std::vector<std::string>{"embed", "cross-validation", "open-set calibration",
                                              "head", "evaluate"}));
  bool warned_broken = false;
  for (const std::string& w : r->warnings)
    warned_broken |= w.find("broken.jpg") != std::string::npos;
  EXPECT_TRUE(warned_broken);

  // Deterministic for a seed.
  Result<TrainResult> again = Train(**src, *backbone_, opt, clock_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->artifact.head.weights, a.head.weights);
  EXPECT_EQ(again->artifact.calibration.temperature, a.calibration.temperature);

  // Round trip through the artifact directory.
  fs::path model = dir_.path() / "model";
  ASSERT_TRUE(SaveArtifact(a, r->manifest, model).ok());
  for (const char* f :
       {"model.json", "evaluation.json", "manifest.jsonl", "backbone.pt", "backbone.json"}) {
    EXPECT_TRUE(fs::exists(model / f)) << f;
  }
  auto loaded = Predictor::Load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->artifact().head.weights, a.head.weights);
  EXPECT_EQ((*loaded)->artifact().evaluation.macro_f1, a.evaluation.macro_f1);
  auto fresh = Predictor::Create(a, backbone_);
  ASSERT_TRUE(fresh.ok());
  std::ifstream in(data() / "red" / "3.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<Prediction> p1 = (*loaded)->PredictBytes(bytes);
  Result<Prediction> p2 = (*fresh)->PredictBytes(bytes);
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_EQ(p1->labels.size(), 4u);
  EXPECT_EQ(p1->labels[0].name, p2->labels[0].name);
  EXPECT_NEAR(p1->labels[0].confidence, p2->labels[0].confidence, 1e-3);
  double total = p1->none_confidence;
  for (const LabelConfidence& l : p1->labels) total += l.confidence;
  EXPECT_NEAR(total, 100.0, 1e-6);
  for (size_t i = 1; i < p1->labels.size(); ++i)
    EXPECT_GE(p1->labels[i - 1].confidence, p1->labels[i].confidence);

  // Shared across threads.
  std::vector<std::thread> threads;
  std::vector<double> got(4, -1);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Result<Prediction> p = (*loaded)->PredictBytes(bytes);
      if (p.ok()) got[t] = p->labels[0].confidence;
    });
  }
  for (auto& th : threads) th.join();
  for (double g : got) EXPECT_NEAR(g, p1->labels[0].confidence, 1e-4);

  // Hostile input through the predictor.
  EXPECT_EQ((*loaded)->PredictBytes("plain text").status().code(), StatusCode::kInvalidArgument);

  // eval over a directory.
  std::vector<std::string> warnings;
  Result<Evaluation> e = EvaluateOn(**loaded, **src, 0, &warnings);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->none_images, 8);
  EXPECT_EQ(e->test_images, 48);
}

TEST_F(TrainerTest, ArtifactRefusesIncompatibleModels) {
  auto src = OpenDirectorySource(data());
  ASSERT_TRUE(src.ok());
  TrainOptions opt;
  opt.open_set = false;
  Result<TrainResult> r = Train(**src, *backbone_, opt, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->artifact.calibration.has_none_logit);
  fs::path model = dir_.path() / "model";
  ASSERT_TRUE(SaveArtifact(r->artifact, r->manifest, model).ok());
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(model / "model.json"));
    f(j);
    std::ofstream(model / "model.json", std::ios::trunc) << j.dump();
  };
  edit([](nlohmann::json& j) { j["format_version"] = 2; });
  EXPECT_EQ(Predictor::Load(model).status().code(), StatusCode::kFailedPrecondition);
  edit([](nlohmann::json& j) {
    j["format_version"] = 1;
    j["backbone"]["sha256"] = std::string(64, '0');
  });
  Result<std::unique_ptr<Predictor>> wrong_hash = Predictor::Load(model);
  EXPECT_EQ(wrong_hash.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong_hash.status().message().find("hash"), std::string::npos);
  edit([&](nlohmann::json& j) {
    j["backbone"]["sha256"] = r->artifact.backbone.sha256;
    j["head"]["bias"] = {1.0};
  });
  EXPECT_EQ(Predictor::Load(model).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TrainerTest, KeypointStageRoundTripsThroughTheArtifact) {
  auto src = OpenDirectorySource(data());
  ASSERT_TRUE(src.ok());
  TrainOptions opt;
  opt.keypoints = true;
  opt.augmentations = 1;
  Result<TrainResult> r = Train(**src, *backbone_, opt, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  ModelArtifact a = r->artifact;
  // On this data (fixed images, seed and RNG state) the keypoint stage helps, so its weight is
  // fitted positive and the voter is kept.
  EXPECT_GT(a.calibration.evidence_weight, 0);
  ASSERT_TRUE(a.keypoints) << "keypoint weight fitted to " << a.calibration.evidence_weight;
  fs::path model = dir_.path() / "model-kp";
  ASSERT_TRUE(SaveArtifact(a, r->manifest, model).ok());
  EXPECT_TRUE(fs::exists(model / "keypoints.bin"));
  auto loaded = Predictor::Load(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->artifact().calibration.evidence_weight, a.calibration.evidence_weight);
  auto fresh = Predictor::Create(a, backbone_);
  ASSERT_TRUE(fresh.ok());
  std::ifstream in(data() / "green" / "2.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<Prediction> p1 = (*loaded)->PredictBytes(bytes);
  Result<Prediction> p2 = (*fresh)->PredictBytes(bytes);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(p1->labels[0].name, p2->labels[0].name);
  EXPECT_NEAR(p1->labels[0].confidence, p2->labels[0].confidence, 1e-3);
}

// The tiny TorchScript backbone plus a saliency map like the logo backbone's: per 16x16 cell,
// the mean colour saturation (the discs are saturated, the noise photos grey), as a logit.
class SaturationSaliency final : public Backbone {
 public:
  explicit SaturationSaliency(std::shared_ptr<const Backbone> inner) : inner_(std::move(inner)) {}
  const BackboneInfo& info() const override { return inner_->info(); }
  Result<BackboneOutput> Forward(const std::vector<const Image*>& images,
                                 bool want_feature_map) const override {
    ASSIGN_OR_RETURN(BackboneOutput out, inner_->Forward(images, want_feature_map));
    for (const Image* img : images) {
      SaliencyMap& map = out.saliency.emplace_back();
      map.width = std::max(1, img->width / 16);
      map.height = std::max(1, img->height / 16);
      map.logits.assign(static_cast<size_t>(map.width) * map.height, 0.0f);
      for (int y = 0; y < map.height * 16 && y < img->height; ++y) {
        for (int x = 0; x < map.width * 16 && x < img->width; ++x) {
          const uint8_t* px = &img->rgb[(static_cast<size_t>(y) * img->width + x) * 3];
          const int sat = std::max({px[0], px[1], px[2]}) - std::min({px[0], px[1], px[2]});
          map.logits[static_cast<size_t>(y / 16) * map.width + x / 16] += sat / (256.0f * 32);
        }
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const Backbone> inner_;
};

TEST_F(TrainerTest, SaliencyAddsBackgroundNegativesAndFitsTheSaliencyWeight) {
  // Wide scenes with the disc in the left half: the right half is a background crop.
  std::mt19937 rng(9);
  cv::RNG noise(9);
  const fs::path wide = dir_.path() / "wide";
  static const cv::Scalar kColours[] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}};
  for (int c = -1; c < 3; ++c) {  // -1: a photo without a disc, kept out of the dataset
    for (int i = 0; i < 10; ++i) {
      cv::Mat m(128, 256, CV_8UC3);
      noise.fill(m, cv::RNG::UNIFORM, cv::Scalar::all(90), cv::Scalar::all(130));
      if (c >= 0) {
        cv::circle(m, cv::Point(35 + rng() % 50, 35 + rng() % 58), 22 + rng() % 6, kColours[c], -1);
      }
      const fs::path p = (c < 0 ? dir_.path() / "photos" : wide / ("label" + std::to_string(c))) /
                         (std::to_string(i) + ".jpg");
      fs::create_directories(p.parent_path());
      cv::imwrite(p.string(), m);
    }
  }
  auto src = OpenDirectorySource(wide);
  ASSERT_TRUE(src.ok());
  auto backbone = std::make_shared<SaturationSaliency>(backbone_);
  TrainOptions opt;
  opt.seed = 2;
  opt.keypoints = false;
  Result<TrainResult> r = Train(**src, *backbone, opt, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  const ModelArtifact& a = r->artifact;
  // No _none folder: what "none" looks like comes from the held-out labels and the background
  // halves.
  EXPECT_EQ(a.none_class, -1);
  EXPECT_TRUE(a.calibration.has_none_logit);
  EXPECT_GT(a.calibration.saliency_weight, 0);
  fs::path model = dir_.path() / "model-saliency";
  ASSERT_TRUE(SaveArtifact(a, r->manifest, model).ok());
  auto back = ReadArtifact(model);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->calibration.saliency_weight, a.calibration.saliency_weight);
  // The background crops take part: without them (share 0) the fitted none logit differs.
  TrainOptions no_bg = opt;
  no_bg.background_share = 0;
  Result<TrainResult> r0 = Train(**src, *backbone, no_bg, clock_);
  ASSERT_TRUE(r0.ok());
  EXPECT_NE(r0->artifact.calibration.none_logit, a.calibration.none_logit);
  // The predictor passes the image's peak: a saturated disc and a grey photo differ in "none".
  auto predictor = Predictor::Create(a, backbone);
  ASSERT_TRUE(predictor.ok());
  auto read = [&](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  Result<Prediction> logo = (*predictor)->PredictBytes(read(wide / "label0" / "1.jpg"));
  Result<Prediction> none = (*predictor)->PredictBytes(read(dir_.path() / "photos" / "1.jpg"));
  ASSERT_TRUE(logo.ok() && none.ok());
  EXPECT_GT(none->none_confidence, logo->none_confidence);
}

TEST(Trainer, BackgroundCropIsTheLeastSalientHalfWhenItHoldsNoLogo) {
  Image img;
  img.width = 320;
  img.height = 160;
  img.rgb.resize(320 * 160 * 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>(i % 256);
  SaliencyMap map;
  map.width = 4;
  map.height = 2;
  map.logits = {6, 1, 0, 0,  // the logo is in the top-left cell
                2, 0, 0, -1};
  // Halves: left peak 6, right 0, top 6, bottom 2 -> right (x 160..320), 0 < 6 - 4.
  std::optional<Image> crop = BackgroundCrop(img, map, 4);
  ASSERT_TRUE(crop.has_value());
  EXPECT_EQ(crop->width, 160);
  EXPECT_EQ(crop->height, 160);
  EXPECT_EQ(crop->rgb[0], img.rgb[160 * 3]);  // first pixel = pixel (160, 0)
  EXPECT_EQ(crop->rgb[(159 * 160 + 159) * 3], img.rgb[(159 * 320 + 319) * 3]);
  // Not clearly below the peak: no crop (the logo may reach into every half).
  EXPECT_FALSE(BackgroundCrop(img, map, 6.5f).has_value());
  // Too small, or a map that does not fit.
  SaliencyMap bad = map;
  bad.logits.pop_back();
  EXPECT_FALSE(BackgroundCrop(img, bad, 4).has_value());
  Image tiny = img;
  tiny.width = 60;
  tiny.height = 30;
  tiny.rgb.resize(60 * 30 * 3);
  EXPECT_FALSE(BackgroundCrop(tiny, map, 4).has_value());
}

TEST(Trainer, RefusesADatasetWithOneLabel) {
  TempDir dir;
  fs::create_directories(dir.path() / "only");
  std::ofstream(dir.path() / "only" / "a.jpg") << "x";
  auto src = OpenDirectorySource(dir.path());
  ASSERT_TRUE(src.ok());
  class NoBackbone final : public Backbone {
   public:
    const BackboneInfo& info() const override { return info_; }
    Result<BackboneOutput> Forward(const std::vector<const Image*>&, bool) const override {
      return InternalError("unused");
    }
    BackboneInfo info_;
  } none;
  FakeClock clock;
  EXPECT_EQ(Train(**src, none, {}, clock).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loupe::ml
