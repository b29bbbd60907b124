// End-to-end tests of serving: the real `loupe` binary trains a tiny model offline, then
// `loupe serve` imports, deploys (blue/green), rescales and rolls back while clients on
// loopback keep detecting; hostile images get 400; a version whose start fails leaves the old
// one serving; a restart serves the same version again.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/temp_dir.h"
#include "models/testing.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using models::testing::EncodePng;
using nlohmann::json;
using testing::RunCli;
using testing::ServerProcess;
namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// 128x128: a red disc ("disc") or blue vertical stripes ("stripes") on a random background.
std::string Pattern(bool disc, uint32_t seed) {
  std::mt19937 rng(seed);
  const int w = 128, h = 128;
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  uint8_t bg[3] = {static_cast<uint8_t>(rng() % 256), static_cast<uint8_t>(rng() % 256),
                   static_cast<uint8_t>(rng() % 256)};
  int cx = 40 + static_cast<int>(rng() % 48), cy = 40 + static_cast<int>(rng() % 48);
  int r = 20 + static_cast<int>(rng() % 15);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      bool in = disc ? (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r
                     : ((x / 8) % 2 == 0 && std::abs(y - cy) < r);
      uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = in ? (disc ? 230 : 20) : bg[0];
      p[1] = in ? 20 : bg[1];
      p[2] = in ? (disc ? 20 : 230) : bg[2];
    }
  }
  return EncodePng(w, h, rgb);
}

class ServingE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 8; ++i) {
      WriteFile(dir_.path() / "dataset/disc" / ("d" + std::to_string(i) + ".png"),
                Pattern(true, 100 + i));
      WriteFile(dir_.path() / "dataset/stripes" / ("s" + std::to_string(i) + ".png"),
                Pattern(false, 200 + i));
    }
    WriteFile(dir_.path() / "query.png", Pattern(true, 999));
    auto train =
        RunCli("http://127.0.0.1:1", {"train", "--dataset", (dir_.path() / "dataset").string(),
                                      "--out", model_.string(), "--quiet"});
    ASSERT_EQ(train.exit_code, 0) << train.err;
  }
  TempDir dir_;
  fs::path model_ = dir_.path() / "model";
};

TEST_F(ServingE2E, ImportDeployDetectSwitchRescaleRollbackRestart) {
  fs::path data = dir_.path() / "data";
  auto server = std::make_unique<ServerProcess>(data.string());
  ASSERT_TRUE(server->Start().ok());
  const std::string query = (dir_.path() / "query.png").string();

  auto none = RunCli(server->url(), {"detect", query});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no model is deployed"), std::string::npos) << none.err;

  for (const char* expected : {"v1", "v2"}) {
    auto imported = RunCli(server->url(), {"models", "import", model_.string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_NE(imported.out.find(std::string(expected) + " TRAINING_COMPLETED"), std::string::npos)
        << imported.out;
  }
  auto deployed = RunCli(server->url(), {"models", "deploy", "v1"});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  auto detected = RunCli(server->url(), {"detect", query, "--max-results", "1"});
  ASSERT_EQ(detected.exit_code, 0) << detected.err;
  json line = json::parse(detected.out);
  EXPECT_EQ(line["ModelVersion"], "v1");
  ASSERT_EQ(line["CustomLabels"].size(), 1u);
  EXPECT_EQ(line["CustomLabels"][0]["Name"], "disc");

  // Hostile images: 400 naming the problem, and the server keeps serving.
  auto client = server->Client();
  std::string png = Pattern(false, 5);
  std::string huge = models::testing::WithHugeDimensions(png);
  for (const std::string& bad :
       {png.substr(0, png.size() / 3), huge, std::string(), std::string("text named .jpg\n"),
        std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01", 12)}) {
    auto r = client->Send("POST", "/v1/detect", bad, "image/jpeg");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << r->body;
  }

  // Load: 3 clients keep detecting across v1 -> v2, units 1 -> 4 -> 1 and a rollback.
  const std::string url = server->url();
  models::testing::LoadClients load(3, 2000, [&]() -> models::testing::LoadClients::Request {
    std::shared_ptr<server::HttpClient> c = server->Client();  // sends the admin token
    c->SetTimeoutSeconds(60);
    return [c, &png]() -> Result<std::string> {
      auto r = c->Send("POST", "/v1/detect?MinConfidence=0", png, "image/png");
      if (!r.ok()) return r.status();
      json j = json::parse(r->body, nullptr, false);
      if (r->status != 200 || !j.contains("ModelVersion") ||
          j["ModelVersion"] != r->headers["x-loupe-model-version"]) {
        return InternalError(r->body);
      }
      return j["ModelVersion"].get<std::string>();
    };
  });
  // Blocks (at most 60 s) until the clients did `n` more good requests; false if one failed,
  // all ended or the time ran out first.
  auto at_least = [&](int64_t n) { return load.WaitFor(n, std::chrono::seconds(60)); };
  EXPECT_TRUE(at_least(5));
  EXPECT_EQ(RunCli(url, {"models", "deploy", "v2"}).exit_code, 0);
  EXPECT_TRUE(at_least(5));
  EXPECT_EQ(RunCli(url, {"params", "set", "Minimum-Inference-Units", "4"}).exit_code, 0);
  EXPECT_TRUE(at_least(5));
  EXPECT_EQ(RunCli(url, {"params", "set", "Minimum-Inference-Units", "1"}).exit_code, 0);
  EXPECT_TRUE(at_least(5));
  auto back = RunCli(url, {"models", "rollback"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.out.find("v1 RUNNING"), std::string::npos) << back.out;
  EXPECT_TRUE(at_least(5));
  load.Stop();
  EXPECT_EQ(load.failed(), 0) << load.FailureReport();
  EXPECT_GT(load.AnsweredBy("v2"), 0);

  // A version whose start fails (its backbone hash does not match) leaves v1 serving.
  fs::copy(model_, dir_.path() / "broken", fs::copy_options::recursive);
  json model_json = json::parse(std::ifstream(dir_.path() / "broken/model.json"));
  model_json["backbone"]["sha256"] = std::string(64, '0');
  std::ofstream(dir_.path() / "broken/model.json") << model_json.dump();
  ASSERT_EQ(RunCli(url, {"models", "import", (dir_.path() / "broken").string()}).exit_code, 0);
  auto failed_deploy = RunCli(url, {"models", "deploy", "v3"});
  EXPECT_NE(failed_deploy.exit_code, 0);
  EXPECT_NE(failed_deploy.err.find("v1 keeps serving"), std::string::npos) << failed_deploy.err;
  auto ls = RunCli(url, {"--json", "models", "ls"});
  json listed = json::parse(ls.out);
  EXPECT_EQ(listed["production"], "v1");
  EXPECT_EQ(listed["versions"][2]["status"], "FAILED");

  // A stored object's detection writes its result record.
  WriteFile(dir_.path() / "obj.png", Pattern(true, 77));
  ASSERT_EQ(RunCli(url, {"objects", "put", (dir_.path() / "obj.png").string(),
                         "images_for_detection/obj.png"})
                .exit_code,
            0);
  auto by_key = RunCli(url, {"detect", "--key", "images_for_detection/obj.png"});
  EXPECT_EQ(by_key.exit_code, 0) << by_key.err;
  auto record = RunCli(url, {"objects", "get", "detection_results/obj.png.json"});
  EXPECT_EQ(json::parse(record.out)["ModelVersion"], "v1");

  // Restart: the same version serves again.
  EXPECT_EQ(server->Stop(), 0);
  server = std::make_unique<ServerProcess>(data.string());
  ASSERT_TRUE(server->Start().ok());
  auto again = RunCli(server->url(), {"detect", query});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["ModelVersion"], "v1");
  EXPECT_EQ(server->Stop(), 0);
}

}  // namespace
}  // namespace loupe
