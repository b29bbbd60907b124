#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/temp_dir.h"
#include "ml/backbone.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

// Builds a tiny TorchScript model with Debian's python3-torch (torch 1.13, like libtorch) and
// the embedding it gives for a uniform grey image. Returns false if python3-torch is missing.
bool MakeTinyModel(const fs::path& dir) {
  const char* script = R"PY(
import json, sys, torch
torch.manual_seed(0)
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 3, 2, 1)
        self.c2 = torch.nn.Conv2d(8, 16, 3, 2, 1)
    def forward(self, x):
        f = torch.relu(self.c2(torch.relu(self.c1(x))))
        return f.mean((2, 3)), f
out = sys.argv[1]
m = Tiny().eval()
torch.jit.trace(m, torch.zeros(1, 3, 32, 48)).save(out + "/tiny.pt")
json.dump({"input_size": [32, 48], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25],
           "output": "tuple"}, open(out + "/tiny.json", "w"))
x = torch.full((1, 3, 32, 48), (100 / 255 - 0.5) / 0.25)
e = torch.nn.functional.normalize(m(x)[0], dim=1)
json.dump(e[0].tolist(), open(out + "/expected.json", "w"))
)PY";
  std::ofstream(dir / "make_tiny.py") << script;
  std::string cmd = "/usr/bin/python3 " + (dir / "make_tiny.py").string() + " " + dir.string() +
                    " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(dir / "tiny.pt");
}

Image Grey(int w, int h, uint8_t v) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.assign(static_cast<size_t>(w) * h * 3, v);
  return img;
}

TEST(TorchScriptBackbone, ReproducesPythonOutputsAndFeatureMap) {
  TempDir dir;
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
