#include "ml/logo_net.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/temp_dir.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

fs::path AssetDir() {
  if (const char* src = std::getenv("LOUPE_SOURCE_DIR"))
    return fs::path(src) / "assets" / "backbone";
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "assets" / "backbone";
}

// The deterministic input of tools/pretrain/export.py reference_input().
torch::Tensor ReferenceInput(int64_t h, int64_t w) {
  torch::Tensor x = torch::empty({1, 3, h, w}, torch::kFloat32);
  auto a = x.accessor<float, 4>();
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t i = 0; i < w; ++i) {
        const double xd = static_cast<double>(i), yd = static_cast<double>(y);
        const double v = 2.5 * std::sin(0.05 * (c + 1) * xd + 0.07 * yd) *
                         std::cos(0.03 * (xd - yd) + static_cast<double>(c));
        a[0][c][y][i] = static_cast<float>(v);
      }
    }
  }
  return x;
}

class LogoNetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(1);
    auto net = LogoNet::Load(AssetDir() / "logo_v1.safetensors");
    ASSERT_TRUE(net.ok()) << net.status();
    net_ = std::move(net).value().release();
    ref_ = nlohmann::json::parse(std::ifstream(AssetDir() / "logo_v1.reference.json"));
  }
  static void TearDownTestSuite() {
    delete net_;
    net_ = nullptr;
  }
  static torch::Tensor Input() {
    const auto& s = ref_["input"]["shape"];
    return ReferenceInput(s[2].get<int64_t>(), s[3].get<int64_t>());
  }
  static LogoNet* net_;
  static nlohmann::json ref_;
};
LogoNet* LogoNetTest::net_ = nullptr;
nlohmann::json LogoNetTest::ref_;

TEST_F(LogoNetTest, LoadsArchitectureFromMetadata) {
  const LogoNetSpec& s = net_->spec();
  EXPECT_EQ(s.embedding_dim, 128);
  EXPECT_EQ(s.stride, 16);
  EXPECT_EQ(s.stages.size(), 6u);
  EXPECT_NEAR(s.mean[0], 0.485f, 1e-6);
  EXPECT_NEAR(s.std[2], 0.225f, 1e-6);
  EXPECT_GT(net_->parameter_count(), 500000);
  EXPECT_EQ(net_->metadata().at("name"), "logo_v1");
}

TEST_F(LogoNetTest, ReproducesPythonReference) {
  auto out = net_->Forward(Input());
  ASSERT_TRUE(out.ok()) << out.status();
  const double tol = ref_["tolerance"].get<double>();
  const torch::Tensor& e = out->embedding;
  ASSERT_EQ(e.sizes().vec(), (std::vector<int64_t>{1, ref_["embedding_dim"].get<int64_t>()}));
  for (int i = 0; i < 16; ++i) {
    EXPECT_NEAR(e[0][i].item<float>(), ref_["embedding_first16"][i].get<double>(), tol) << i;
  }
  EXPECT_NEAR(e.sum().item<double>(), ref_["embedding_sum"].get<double>(), 1e-3);
  EXPECT_NEAR(e.abs().sum().item<double>(), ref_["embedding_abs_sum"].get<double>(), 1e-3);
  EXPECT_NEAR(e.norm().item<double>(), 1.0, 1e-5);

  const torch::Tensor& o = out->objectness;
  EXPECT_EQ(o.sizes().vec(), ref_["objectness_shape"].get<std::vector<int64_t>>());
  EXPECT_NEAR(o.mean().item<double>(), ref_["objectness_mean"].get<double>(), tol);
  EXPECT_NEAR(o.max().item<double>(), ref_["objectness_max"].get<double>(), tol);
  EXPECT_NEAR(o.min().item<double>(), ref_["objectness_min"].get<double>(), tol);
  EXPECT_EQ(o.flatten().argmax().item<int64_t>(), ref_["objectness_argmax"].get<int64_t>());
  torch::Tensor of = o.flatten();
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(of[i].item<float>(), ref_["objectness_first8"][i].get<double>(), tol) << i;
  }
  EXPECT_EQ(out->cells.sizes().vec(), ref_["cells_shape"].get<std::vector<int64_t>>());
  EXPECT_NEAR(out->cells.mean().item<double>(), ref_["cells_mean"].get<double>(), tol);
  EXPECT_NEAR(out->cells.abs().mean().item<double>(), ref_["cells_abs_mean"].get<double>(), tol);
}

TEST_F(LogoNetTest, BatchRowsMatchSingleImages) {
  torch::Tensor a = Input();
  torch::Tensor b = a.flip({3}).contiguous();
  auto both = net_->Forward(torch::cat({a, b}, 0));
  auto one = net_->Forward(b);
  ASSERT_TRUE(both.ok() && one.ok());
  EXPECT_EQ(both->embedding.size(0), 2);
  EXPECT_LT((both->embedding[1] - one->embedding[0]).abs().max().item<float>(), 1e-4);
  // Any size >= 32 works; maps are ceil(side / 16).
  auto odd = net_->Forward(ReferenceInput(77, 130));
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(odd->objectness.sizes().vec(), (std::vector<int64_t>{1, 5, 9}));
}

TEST_F(LogoNetTest, ConcurrentForwardOnOneInstanceAgrees) {
  torch::Tensor x = Input();
  auto base = net_->Forward(x);
  ASSERT_TRUE(base.ok());
  std::vector<float> diffs(4, 1.0f);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto r = net_->Forward(x);
      if (r.ok()) diffs[t] = (r->embedding - base->embedding).abs().max().item<float>();
    });
  }
  for (auto& th : threads) th.join();
  for (float d : diffs) EXPECT_LT(d, 1e-6);
}

TEST_F(LogoNetTest, RejectsMalformedInput) {
  EXPECT_EQ(net_->Forward(torch::zeros({3, 64, 64})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(net_->Forward(torch::zeros({1, 1, 64, 64})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(net_->Forward(torch::zeros({1, 3, 16, 64})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(net_->Forward(torch::zeros({1, 3, 64, 64}, torch::kFloat64)).status().code(),
            StatusCode::kInvalidArgument);
}

void WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string WithHeader(const std::string& json, const std::string& data = "") {
  std::string s(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return s + json + data;
}

TEST(LogoNetLoad, ReportsMissingAndCorruptFiles) {
  TempDir dir;
  EXPECT_EQ(LogoNet::Load(dir.path() / "nope.safetensors").status().code(), StatusCode::kNotFound);

  WriteBytes(dir.path() / "short", "abc");
  EXPECT_EQ(LogoNet::Load(dir.path() / "short").status().code(), StatusCode::kDataLoss);

  WriteBytes(dir.path() / "len", WithHeader("{}").replace(0, 1, "\xff"));
  EXPECT_EQ(LogoNet::Load(dir.path() / "len").status().code(), StatusCode::kDataLoss);

  WriteBytes(dir.path() / "json", WithHeader("{not json"));
  EXPECT_EQ(LogoNet::Load(dir.path() / "json").status().code(), StatusCode::kDataLoss);

  WriteBytes(dir.path() / "range",
             WithHeader(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "1234"));
  EXPECT_EQ(LogoNet::Load(dir.path() / "range").status().code(), StatusCode::kDataLoss);

  WriteBytes(dir.path() / "noarch",
             WithHeader(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "1234"));
  EXPECT_EQ(LogoNet::Load(dir.path() / "noarch").status().code(), StatusCode::kInvalidArgument);

  // A real file cut short: the header promises more data than there is.
  std::ifstream in(AssetDir() / "logo_v1.safetensors", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(all.size(), 100000u);
  WriteBytes(dir.path() / "cut", all.substr(0, all.size() / 2));
  EXPECT_EQ(LogoNet::Load(dir.path() / "cut").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace loupe::ml
