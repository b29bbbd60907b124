#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ml/artifact.h"
#include "ml/backbone.h"

namespace loupe::ml {
namespace {

TEST(LogoBackbone, LoadsTheBuiltinDefaultAndEmbedsImagesOfAnyAspect) {
  Result<std::unique_ptr<Backbone>> bb = LoadBuiltinBackbone(DefaultBackboneId());
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
  Image wide, tall;
  wide.width = 640;
  wide.height = 360;
  tall.width = 300;
  tall.height = 500;
  for (Image* img : {&wide, &tall}) {
    img->rgb.resize(static_cast<size_t>(img->width) * img->height * 3);
    for (size_t i = 0; i < img->rgb.size(); ++i) img->rgb[i] = static_cast<uint8_t>((i * 7) % 251);
  }
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
  Result<BackboneOutput> one = (*bb)->Forward({&wide}, true);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->fm_channels, 128);
  EXPECT_EQ(one->fm_height * 16, 256);  // 252 px -> 16 cells at stride 16
  for (int d = 0; d < 128; ++d) EXPECT_FLOAT_EQ(one->embeddings[d], out->embeddings[d]);
  EXPECT_EQ(LoadBuiltinBackbone("no_such_net").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace loupe::ml
