// The continuous-improvement loop end to end (issue 7), on the real binary: labelled logo
// images (../shared/logogen: real brand logos on real photos) in the training folders, a
// training poll trains and deploys v1 through the shipped training-poll workflow, a stream of
// uploads is detected (the first ones before any model exists, from the backlog), uncertain
// detections become human loops that a scripted reviewer answers with the true labels, the
// answers are filed into the training set, the *scheduled* poll (period 1 minute) trains v2,
// which passes the gate and deploys blue/green while uploads continue. Asserts: no upload lost,
// exactly one loop per low-confidence detection, every answer filed exactly once, the alias on
// v2, v2's accuracy on a fixed held-out set above a floor and not below v1's by more than a
// margin, and the loop's notifications reached a subscribed webhook with valid signatures.
// Prints both accuracies and counts.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/file.h"
#include "core/temp_dir.h"
#include "notify/signature.h"
#include "notify/testing.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::LogogenDir;
using testing::RunCli;
using testing::ServerProcess;
using testing::WaitFor;
namespace fs = std::filesystem;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kLabels = 4;
constexpr int kStream = 150;
constexpr int kBacklog = 8;            // uploaded before any version is deployed
constexpr double kReviewBelow = 70.0;  // Minimum-Label-Detection-Confidence (default)
// Held-out top-1 (60 images): v2 reaches at least kV2Floor, well under what it measures (0.917
// in the last run, 0.883 before the keypoint stage), and is at most kMaxRegression (6 images)
// below v1. Which answers v2 learns from depends on timing (uploads go on while the poll
// trains), so "v2 better than v1" by a few images is a measurement, not a specification.
constexpr double kV2Floor = 0.70;
constexpr double kMaxRegression = 0.10;

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

class LoopE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(LogogenDir() / "logogen.py")) << "needs ../shared/logogen";
    ASSERT_EQ(Shell("bash " + (LogogenDir() / "setup.sh").string() + " >" +
                    (dir_.path() / "logogen-setup.log").string() + " 2>&1"),
              0)
        << "logogen set-up failed; see its log";
    std::string gen = "/usr/bin/python3 " + (LogogenDir() / "logogen.py").string();
    // Seed 21, 4 labels: 3 training images per label (v1 learns from few), 15 held-out test
    // images per label.
    ASSERT_EQ(
        Shell(gen + " generate --seed 21 --k 4 --train 3 --test 15 --none 0 --novel 0 --out " +
              (dir_.path() / "gen").string() + " >/dev/null"),
        0);
    // The uploads: 90 % known logos, 10 % photos without one (answered "none of these").
    ASSERT_EQ(Shell(gen + " stream --seed 21 --k 4 --count " + std::to_string(kStream) +
                    " --p-known 0.9 --p-none 0.1 --out " + (dir_.path() / "stream").string() +
                    " >/dev/null"),
              0);
    std::ifstream in(dir_.path() / "stream" / "stream.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line);
      std::string label = j["label"];
      truth_[j["path"]] = label.starts_with("__") ? json(nullptr) : json(label);
      uploads_.push_back(j["path"]);
    }
    ASSERT_EQ(uploads_.size(), static_cast<size_t>(kStream));
    // The operator's drop: the initial labelled images, before the first start.
    fs::path labeled = dir_.path() / "data" / "objects" / "images_labeled_by_folder";
    fs::create_directories(labeled);
    fs::copy(dir_.path() / "gen" / "train", labeled, fs::copy_options::recursive);
  }

  json Get(server::HttpClient& c, const std::string& path) {
    auto r = c.Send("GET", path);
    EXPECT_TRUE(r.ok() && r->status == 200) << path << ": " << (r.ok() ? r->body : "");
    return r.ok() && r->status == 200 ? json::parse(r->body) : json();
  }
  void SetParam(server::HttpClient& c, const std::string& name, const json& value) {
    auto r = c.Send("PUT", "/v1/parameters/" + name, json{{"value", value}}.dump());
    ASSERT_TRUE(r.ok() && r->status == 200) << name << ": " << (r.ok() ? r->body : "");
  }
  void Upload(server::HttpClient& c, const std::string& file) {
    std::string bytes = ReadFile(dir_.path() / "stream" / file).value_or("");
    auto r = c.Send("PUT", "/v1/objects/images_for_detection/" + file, bytes, "image/jpeg");
    ASSERT_TRUE(r.ok() && r->status == 200) << file << ": " << (r.ok() ? r->body : "");
  }
  std::optional<std::string> Production(server::HttpClient& c) {
    auto r = c.Send("GET", "/v1/endpoints/production");
    if (!r.ok() || r->status != 200) return std::nullopt;
    json j = json::parse(r->body);
    if (!j.contains("version") || !j["version"].is_string()) return std::nullopt;
    return j["version"].get<std::string>();
  }
  int Running(server::HttpClient& c, const std::string& machine) {
    json j = Get(c, "/v1/executions?state_machine=" + machine + "&status=RUNNING&limit=1000");
    return j.contains("executions") ? static_cast<int>(j["executions"].size()) : -1;
  }
  // Every upload so far detected, every loop answered and filed: nothing left in flight.
  bool Settled(server::HttpClient& c) {
    return Running(c, "detection") == 0 && Running(c, "human-answer") == 0 &&
           Get(c, "/v1/human-loops?status=InProgress")["HumanLoopSummaries"].empty();
  }
  double Top1(const std::string& version) {
    auto r = RunCli(
        "", {"eval", "--model", (dir_.path() / "data" / "objects" / "models" / version).string(),
             "--dataset", (dir_.path() / "gen" / "test").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json e = json::parse(r.out, nullptr, false);
    return e.is_object() ? e.value("Top1Accuracy", -1.0) : -1.0;
  }

  TempDir dir_;
  std::map<std::string, json> truth_;  // upload file -> label (null: none of these)
  std::vector<std::string> uploads_;
};

TEST_F(LoopE2E, UploadsReviewsRetrainingAndBlueGreenDeployWithoutLoss) {
  ServerProcess server((dir_.path() / "data").string(), {"--train-augmentations", "1"});
  ASSERT_TRUE(server.Start().ok());
  auto c = server.Client();
  notify::testing::WebhookReceiver hook;
  const std::string secret = "loop-e2e-webhook-secret";
  for (const char* topic : {"operator", "consumer"}) {
    auto sub = c->Send(
        "POST", "/v1/subscriptions",
        json{
            {"topic", topic}, {"protocol", "webhook"}, {"endpoint", hook.Url()}, {"secret", secret}}
            .dump());
    ASSERT_TRUE(sub.ok() && sub->status == 201) << (sub.ok() ? sub->body : "");
  }
  SetParam(*c, "Minimum-F1-Score", 0.0);  // v1 deploys whatever it scores (no champion yet)
  SetParam(*c, "Minimum-Untrained-Images", 1000);  // no training until the test says so
  SetParam(*c, "Automatic-Training-Poll-Frequency", 1);

  // Uploads before any model: they wait in the backlog.
  for (int i = 0; i < kBacklog; ++i) Upload(*c, uploads_[i]);
  ASSERT_TRUE(WaitFor([&] { return Running(*c, "detection") == kBacklog; }, seconds(60)));

  // v1: the poll (requested now, instead of waiting a minute) trains on 3 images per label.
  SetParam(*c, "Minimum-Untrained-Images", kLabels * 3);
  ASSERT_EQ(c->Send("POST", "/v1/training/poll", "{}")->status, 202);
  ASSERT_TRUE(WaitFor([&] { return Production(*c) == "v1"; }, minutes(5)))
      << Get(*c, "/v1/executions?state_machine=training-poll").dump(2);
  SetParam(*c, "Minimum-Untrained-Images", 1000);

  // The scripted reviewer answers every task it gets with the true label.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::thread reviewer([&] {
    auto rc = server.Client();
    while (!stop.load()) {
      bool got = WaitFor(
          [&] {
            auto r = rc->Send("POST", "/v1/tasks/next", "{}");
            if (!r.ok() || r->status != 200) return stop.load();
            json task = json::parse(r->body);
            std::string file = fs::path(task["Image"].get<std::string>()).filename().string();
            json label = truth_.count(file) ? truth_[file] : json(nullptr);
            auto a = rc->Send("POST", "/v1/tasks/" + task["TaskId"].get<std::string>() + "/answer",
                              json{{"Label", label}}.dump());
            EXPECT_TRUE(a.ok() && a->status == 200) << (a.ok() ? a->body : "");
            answered++;
            return true;
          },
          seconds(5));
      (void)got;
    }
  });

  // First part of the stream, then everything settles: detected, reviewed, filed.
  const int first = kBacklog + (kStream - kBacklog) * 2 / 3;
  for (int i = kBacklog; i < first; ++i) Upload(*c, uploads_[i]);
  ASSERT_TRUE(WaitFor([&] { return Settled(*c); }, minutes(5)));
  int64_t untrained = Get(*c, "/v1/dataset")["Untrained"];
  ASSERT_GT(untrained, 0) << "no reviewed answer was filed";

  // v2: the scheduled poll (every minute) finds enough untrained images; uploads go on.
  SetParam(*c, "Minimum-Untrained-Images", untrained);
  std::thread uploader([&] {
    auto uc = server.Client();
    for (int i = first; i < kStream; ++i) Upload(*uc, uploads_[i]);
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        json t = Get(*c, "/v1/training");
        return (t["Active"].is_object() && t["Active"]["Version"] == "v2") ||
               Production(*c) == "v2";
      },
      minutes(3)));
  SetParam(*c, "Minimum-Untrained-Images", 1000);  // answers still arriving must not train v3
  ASSERT_TRUE(WaitFor([&] { return Production(*c) == "v2"; }, minutes(8)))
      << Get(*c, "/v1/executions?state_machine=training-poll").dump(2);
  uploader.join();
  ASSERT_TRUE(WaitFor([&] { return Settled(*c); }, minutes(5)));
  stop = true;
  reviewer.join();

  // No upload lost: every image has exactly its result.
  int low = 0;
  std::set<std::string> low_images;
  for (const std::string& file : uploads_) {
    auto r = c->Send("GET", "/v1/objects/detection_results/" + file + ".json");
    ASSERT_TRUE(r.ok() && r->status == 200) << "no result for " << file;
    json result = json::parse(r->body);
    double top = result["CustomLabels"].empty()
                     ? 0.0
                     : result["CustomLabels"][0]["Confidence"].get<double>();
    if (top < kReviewBelow) {
      ++low;
      low_images.insert("images_for_detection/" + file);
    }
  }
  // A broken upload gets a result that says why (and no loop).
  auto broken = c->Send("PUT", "/v1/objects/images_for_detection/broken.jpg",
                        "this is not an image", "image/jpeg");
  ASSERT_TRUE(broken.ok() && broken->status == 200);
  ASSERT_TRUE(WaitFor([&] {
    auto r = c->Send("GET", "/v1/objects/detection_results/broken.jpg.json");
    return r.ok() && r->status == 200;
  }));
  json broken_result = Get(*c, "/v1/objects/detection_results/broken.jpg.json");
  EXPECT_EQ(broken_result["Error"]["Code"], "InvalidArgument") << broken_result.dump();

  // Exactly one loop per low-confidence detection, none for confident ones.
  json loops = Get(*c, "/v1/human-loops?limit=1000")["HumanLoopSummaries"];
  std::map<std::string, int> loops_per_image;
  std::map<std::string, std::string> loop_image;
  for (const json& l : loops) {
    json full = Get(*c, "/v1/human-loops/" + l["HumanLoopName"].get<std::string>());
    loops_per_image[full["Image"]]++;
    loop_image[full["HumanLoopName"]] = full["Image"];
    EXPECT_EQ(full["HumanLoopStatus"], "Completed") << full.dump();
  }
  EXPECT_EQ(static_cast<int>(loops.size()), low);
  for (const std::string& img : low_images) EXPECT_EQ(loops_per_image[img], 1) << img;

  // Every answer filed exactly once, into the folder of its true label (or _none/).
  std::map<std::string, int> filed;
  std::string token;
  do {
    json page = Get(*c, "/v1/objects?prefix=images_labeled_by_folder/&max_keys=1000" +
                            (token.empty() ? "" : "&page_token=" + token));
    for (const json& o : page["objects"]) {
      std::string key = o["key"];
      for (const auto& [name, image] : loop_image) {
        if (key.find("/" + name + "-") == std::string::npos) continue;
        filed[name]++;
        std::string file = fs::path(image).filename().string();
        std::string folder = truth_[file].is_null() ? "_none" : truth_[file].get<std::string>();
        EXPECT_TRUE(key.starts_with("images_labeled_by_folder/" + folder + "/")) << key;
      }
    }
    token = page["next_page_token"].is_string() ? page["next_page_token"].get<std::string>() : "";
  } while (!token.empty());
  for (const auto& [name, image] : loop_image) EXPECT_EQ(filed[name], 1) << name;

  EXPECT_EQ(Production(*c), "v2");
  double v1 = Top1("v1");
  double v2 = Top1("v2");
  std::printf(
      "loop e2e: %d uploads, %d below %.0f -> %zu loops, %d answers, %zu filed; "
      "held-out top-1 v1 %.3f -> v2 %.3f\n",
      kStream, low, kReviewBelow, loops.size(), answered.load(), filed.size(), v1, v2);
  EXPECT_GE(v2, kV2Floor) << "held-out top-1 of v2";
  EXPECT_GE(v2, v1 - kMaxRegression) << "v2 " << v2 << " regressed from v1 " << v1;

  // The loop's notifications reached the webhook, each signed with the subscription's secret.
  std::map<std::string, int> types;
  auto tally = [&] {
    types.clear();
    for (const auto& r : hook.requests()) {
      json m = json::parse(r.body, nullptr, false);
      if (m.is_object()) types[m.value("Type", "")]++;
    }
    return types["Deployed"] >= 2 && types["HumanLoopCompleted"] >= static_cast<int>(loops.size());
  };
  EXPECT_TRUE(WaitFor(tally, minutes(2)));
  for (const char* type : {"ParameterChanged", "TrainingStarted", "Deployed",
                           "DetectionBelowThreshold", "HumanLoopCompleted"}) {
    EXPECT_GT(types[type], 0) << type;
  }
  int bad_signatures = 0;
  for (const auto& r : hook.requests()) {
    auto ts = r.headers.find("x-loupe-timestamp");
    auto sig = r.headers.find("x-loupe-signature");
    if (ts == r.headers.end() || sig == r.headers.end() ||
        !notify::VerifyWebhookSignature(secret, ts->second, r.body, sig->second)) {
      ++bad_signatures;
    }
  }
  EXPECT_EQ(bad_signatures, 0);
  std::printf("loop e2e: %zu signed webhook deliveries (%d Deployed, %d TrainingStarted)\n",
              hook.requests().size(), types["Deployed"], types["TrainingStarted"]);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace loupe
