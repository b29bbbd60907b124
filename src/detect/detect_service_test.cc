#include "detect/detect_service.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "db/testing.h"
#include "models/testing.h"
#include "store/local_object_store.h"

namespace loupe::detect {
namespace {

using models::testing::SolidPng;

class DetectServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    store_ = std::move(store::LocalObjectStore::Open(dir_.path() / "data", *db_, clock_, nullptr))
                 .value();
    registry_ = std::move(models::ModelRegistry::Open(*db_, clock_, *store_)).value();
    ASSERT_TRUE(models::testing::WriteFakeArtifact(dir_.path() / "artifact").ok());
    models::ServiceOptions options;
    options.cache_dir = dir_.path() / "cache";
    service_ = std::move(models::ModelService::Create(*registry_, nullptr, clock_, loader_.Loader(),
                                                      options))
                   .value();
    detect_ = std::make_unique<DetectService>(*service_, *store_, clock_);
  }
  void Deploy() {
    auto v = registry_->ImportDirectory(dir_.path() / "artifact", "", "test");
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(service_->Deploy(v->version, "test").ok());
  }
  static DetectRequest Bytes(std::string bytes, std::optional<double> min = 0) {
    DetectRequest r;
    r.image_bytes = std::move(bytes);
    r.min_confidence = min;
    return r;
  }

  TempDir dir_;
  FakeClock clock_;
  models::testing::FakeLoader loader_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<store::LocalObjectStore> store_;
  std::unique_ptr<models::ModelRegistry> registry_;
  std::unique_ptr<models::ModelService> service_;
  std::unique_ptr<DetectService> detect_;
};

TEST_F(DetectServiceTest, NoDeployedModelIsAClearFailedPrecondition) {
  auto r = detect_->Detect(Bytes(SolidPng(80, 80, 200, 10, 10)));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("no model is deployed"), std::string::npos);
}

TEST_F(DetectServiceTest, LabelsSortedByConfidenceWithTheVersion) {
  Deploy();
  auto r = detect_->Detect(Bytes(SolidPng(80, 80, 200, 10, 10)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model_version, "v1");
  ASSERT_EQ(r->labels.size(), 3u);
  EXPECT_EQ(r->labels[0].name, "red");
  EXPECT_GE(r->labels[0].confidence, r->labels[1].confidence);
  EXPECT_GE(r->labels[1].confidence, r->labels[2].confidence);
  EXPECT_TRUE(r->result_key.empty());

  DetectRequest one = Bytes(SolidPng(80, 80, 10, 10, 200));
  one.max_results = 1;
  auto blue = detect_->Detect(one);
  ASSERT_TRUE(blue.ok());
  ASSERT_EQ(blue->labels.size(), 1u);
  EXPECT_EQ(blue->labels[0].name, "blue");

  auto strict = detect_->Detect(Bytes(SolidPng(80, 80, 10, 200, 10), 99.99));
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(strict->labels.empty());
  // Default: each label's assumed threshold (50 in the fake artifact).
  auto by_default = detect_->Detect(Bytes(SolidPng(80, 80, 10, 200, 10), std::nullopt));
  ASSERT_TRUE(by_default.ok());
  ASSERT_EQ(by_default->labels.size(), 1u);
  EXPECT_EQ(by_default->labels[0].name, "green");
}

TEST_F(DetectServiceTest, RefusesBadArguments) {
  Deploy();
  EXPECT_EQ(detect_->Detect(Bytes(SolidPng(80, 80, 1, 1, 1), 101)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(detect_->Detect(Bytes(SolidPng(80, 80, 1, 1, 1), -1)).status().code(),
            StatusCode::kInvalidArgument);
  DetectRequest zero = Bytes(SolidPng(80, 80, 1, 1, 1));
  zero.max_results = 0;
  EXPECT_EQ(detect_->Detect(zero).status().code(), StatusCode::kInvalidArgument);
  DetectRequest missing;
  missing.object_key = "images_for_detection/none.png";
  EXPECT_EQ(detect_->Detect(missing).status().code(), StatusCode::kNotFound);
  DetectRequest stopped = Bytes(SolidPng(80, 80, 1, 1, 1));
  stopped.version = models::VersionId("v9");
  EXPECT_EQ(detect_->Detect(stopped).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(DetectServiceTest, HostileImagesAreInvalidArgumentAndServingGoesOn) {
  Deploy();
  std::string png = SolidPng(80, 80, 200, 10, 10);
  std::string huge = png;  // IHDR width/height at bytes 16..23: 100000 x 100000
  for (int off : {16, 20}) {
    huge[off] = 0;
    huge[off + 1] = 0x01;
    huge[off + 2] = static_cast<char>(0x86);
    huge[off + 3] = static_cast<char>(0xA0);
  }
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"truncated PNG", png.substr(0, png.size() / 2)},
      {"truncated JPEG", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11)},
      {"100000x100000 PNG", huge},
      {"zero bytes", ""},
      {"text named .jpg", "this is not an image\n"},
  };
  for (const auto& [what, bytes] : hostile) {
    auto r = detect_->Detect(Bytes(bytes));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << what << ": " << r.status();
  }
  auto fine = detect_->Detect(Bytes(png));
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(fine->labels[0].name, "red");
}

TEST_F(DetectServiceTest, StoredObjectWritesADetectionResult) {
  Deploy();
  ASSERT_TRUE(store_->Put("images_for_detection/a/b.png", SolidPng(90, 70, 10, 200, 10)).ok());
  DetectRequest r;
  r.object_key = "images_for_detection/a/b.png";
  r.max_results = 1;
  auto out = detect_->Detect(r);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->result_key, "detection_results/a/b.png.json");
  auto stored = store_->Get(out->result_key);
  ASSERT_TRUE(stored.ok());
  auto j = nlohmann::json::parse(*stored);
  EXPECT_EQ(j["ModelVersion"], "v1");
  EXPECT_EQ(j["CustomLabels"][0]["Name"], "green");
  EXPECT_EQ(j["Image"]["S3Object"]["Name"], "images_for_detection/a/b.png");
  EXPECT_TRUE(j["Timing"].contains("InferenceMs"));
  EXPECT_EQ(ResultKeyFor("other/x.jpg"), "detection_results/other/x.jpg.json");
}

}  // namespace
}  // namespace loupe::detect
