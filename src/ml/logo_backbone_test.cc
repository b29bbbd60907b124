#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ml/artifact.h"
#include "ml/backbone.h"

namespace loupe::ml {
namespace {

Image Pattern(int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>((i * 7) % 251);
  return img;
}

TEST(LogoBackbone, LoadsTheBuiltinAsPretrainedAndEmbedsImagesOfAnyAspect) {
  Result<std::unique_ptr<Backbone>> bb = LoadBuiltinBackbone("logo_v1");
  ASSERT_TRUE(bb.ok()) << bb.status();
  const BackboneInfo& info = (*bb)->info();
  EXPECT_EQ(info.kind, "builtin");
  EXPECT_EQ(info.id, "logo_v1");
  EXPECT_EQ(info.embedding_dim, 128);
  EXPECT_EQ(info.preprocessing.resize, ResizeMode::kKeepAspect);
  const char* src = std::getenv("LOUPE_SOURCE_DIR");
  if (src) {
    nlohmann::json ref = nlohmann::json::parse(
        std::ifstream(std::string(src) + "/assets/backbone/logo_v1.reference.json"));
    EXPECT_EQ(info.sha256, ref["weights_sha256"]);
  }
  Image wide = Pattern(640, 360), tall = Pattern(300, 500);
  EXPECT_EQ(InputSize(wide, info.preprocessing), (std::pair<int, int>{448, 252}));
  EXPECT_EQ(InputSize(tall, info.preprocessing), (std::pair<int, int>{269, 448}));
  Result<BackboneOutput> out = (*bb)->Forward({&wide, &tall}, false);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->count, 2);
  for (int i = 0; i < 2; ++i) {
    double norm = 0;
    for (int d = 0; d < 128; ++d)
      norm += out->embeddings[i * 128 + d] * out->embeddings[i * 128 + d];
    EXPECT_NEAR(norm, 1.0, 1e-4);
  }
  // Every image gets its objectness map: one logit per 16x16 cell of the network input.
  ASSERT_EQ(out->saliency.size(), 2u);
  EXPECT_EQ(out->saliency[0].width, 28);
  EXPECT_EQ(out->saliency[0].height, 16);
  EXPECT_EQ(out->saliency[1].width * out->saliency[1].height,
            static_cast<int>(out->saliency[1].logits.size()));
  Result<BackboneOutput> one = (*bb)->Forward({&wide}, true);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->fm_channels, 128);
  EXPECT_EQ(one->fm_height * 16, 256);  // 252 px -> 16 cells at stride 16
  for (int d = 0; d < 128; ++d) EXPECT_FLOAT_EQ(one->embeddings[d], out->embeddings[d]);
  EXPECT_EQ(LoadBuiltinBackbone("no_such_net").status().code(), StatusCode::kNotFound);
}

TEST(LogoBackbone, DefaultRunsTheSameWeightsLargerWithSharperAttention) {
  Result<std::unique_ptr<Backbone>> def = LoadBuiltinBackbone(DefaultBackboneId());
  Result<std::unique_ptr<Backbone>> v1 = LoadBuiltinBackbone("logo_v1");
  ASSERT_TRUE(def.ok() && v1.ok());
  const BackboneInfo& info = (*def)->info();
  EXPECT_EQ(info.id, "logo_v1_480");
  EXPECT_EQ(info.sha256, (*v1)->info().sha256);  // same weights file
  Image wide = Pattern(640, 360);
  EXPECT_EQ(InputSize(wide, info.preprocessing), (std::pair<int, int>{672, 378}));
  Result<BackboneOutput> a = (*def)->Forward({&wide}, false);
  Result<BackboneOutput> b = (*v1)->Forward({&wide}, false);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->saliency.size(), 1u);
  EXPECT_EQ(a->saliency[0].width, 42);
  double dot = 0, norm = 0;
  for (int d = 0; d < 128; ++d) {
    dot += a->embeddings[d] * b->embeddings[d];
    norm += a->embeddings[d] * a->embeddings[d];
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);
  EXPECT_LT(dot, 0.9999);  // another input size and pooling give another embedding
  LogoBackboneOptions bad;
  bad.attention_temperature = 0;
  EXPECT_EQ(LoadLogoBackbone("/nonexistent", "x", bad).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loupe::ml
