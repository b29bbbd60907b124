#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/temp_dir.h"
#include "ml/backbone.h"
#include "ml/tiny_model_for_test.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

Image Grey(int w, int h, uint8_t v) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.assign(static_cast<size_t>(w) * h * 3, v);
  return img;
}

TEST(TorchScriptBackbone, ReproducesPythonOutputsAndFeatureMap) {
  TempDir dir;
  // The one skip: a machine without python3-torch (scripts/setup.sh installs it, and CI's
  // `make test` runs that first, so CI never skips).
  if (!MakeTinyModel(dir.path())) GTEST_SKIP() << "python3-torch not installed";
  SetComputeThreads(1);
  auto backbone = LoadTorchScriptBackbone(dir.path() / "tiny.pt");
  ASSERT_TRUE(backbone.ok()) << backbone.status();
  const BackboneInfo& info = (*backbone)->info();
  EXPECT_EQ(info.id, "torchscript:tiny");
  EXPECT_EQ(info.embedding_dim, 16);
  EXPECT_EQ(info.sha256.size(), 64u);
  EXPECT_EQ(info.preprocessing.input_height, 32);
  EXPECT_EQ(info.preprocessing.input_width, 48);
  nlohmann::json expected = nlohmann::json::parse(std::ifstream(dir.path() / "expected.json"));
  Image grey = Grey(96, 64, 100);
  Image other = Grey(70, 90, 200);
  Result<BackboneOutput> out = (*backbone)->Forward({&grey, &other}, true);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->count, 2);
  ASSERT_EQ(out->dim, 16);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(out->embeddings[i], expected[i].get<float>(), 1e-4);
  EXPECT_EQ(out->fm_channels, 16);
  EXPECT_EQ(out->fm_height, 8);
  EXPECT_EQ(out->fm_width, 12);
  EXPECT_EQ(out->feature_map.size(), 2u * 16 * 8 * 12);

  // Shared across threads: every thread gets the same answer.
  std::vector<std::thread> threads;
  std::vector<float> first(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        Result<BackboneOutput> r = (*backbone)->Forward({&grey});
        if (r.ok()) first[t] = r->embeddings[0];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (float f : first) EXPECT_NEAR(f, expected[0].get<float>(), 1e-4);
}

TEST(TorchScriptBackbone, RejectsBrokenFiles) {
  TempDir dir;
  EXPECT_EQ(LoadTorchScriptBackbone(dir.path() / "missing.pt").status().code(),
            StatusCode::kNotFound);
  std::ofstream(dir.path() / "junk.pt") << "not a zip file";
  EXPECT_EQ(LoadTorchScriptBackbone(dir.path() / "junk.pt").status().code(),
            StatusCode::kNotFound);  // no junk.json yet
  std::ofstream(dir.path() / "junk.json") << R"({"input_size": 64})";
  Result<std::unique_ptr<Backbone>> junk = LoadTorchScriptBackbone(dir.path() / "junk.pt");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kInvalidArgument);
  std::ofstream(dir.path() / "junk.json", std::ios::trunc) << R"({"input_size": "big"})";
  EXPECT_EQ(LoadTorchScriptBackbone(dir.path() / "junk.pt").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loupe::ml
