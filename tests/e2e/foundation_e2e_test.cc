// End-to-end tests of the foundation: the real `loupe serve` binary on a free port, driven over
// HTTP and through the CLI, stopped gracefully and killed with SIGKILL.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/sha256.h"
#include "core/temp_dir.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::RunCli;
using testing::ServerProcess;
using testing::WaitFor;
namespace fs = std::filesystem;

json Get(server::HttpClient& c, const std::string& path) {
  auto r = c.Send("GET", path);
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body);
}

// ObjectCreated events for `key`.
int CountCreated(server::HttpClient& c, const std::string& key) {
  int count = 0;
  int64_t after = 0;
  while (true) {
    json page = Get(c, "/v1/events?kind=ObjectCreated&limit=1000&after=" + std::to_string(after));
    if (page.is_null() || page["events"].empty()) break;
    for (const json& e : page["events"]) count += e["payload"]["key"] == key ? 1 : 0;
    after = page["next"].get<int64_t>();
  }
  return count;
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(FoundationE2E, CliChangesParameterAndShowsBothVersions) {
  TempDir dir;
  ServerProcess server((dir.path() / "data").string());
  ASSERT_TRUE(server.Start().ok());
  auto set = RunCli(server.url(), {"params", "set", "Minimum-F1-Score", "0.85"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("version 2"), std::string::npos) << set.out;
  auto history = RunCli(server.url(), {"params", "history", "Minimum-F1-Score"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("0.85"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("0.8 "), std::string::npos) << history.out;
  auto json_history = RunCli(server.url(), {"--json", "params", "history", "Minimum-F1-Score"});
  json h = json::parse(json_history.out);
  ASSERT_EQ(h["versions"].size(), 2u);
  EXPECT_EQ(h["versions"][0]["value"], 0.85);
  EXPECT_EQ(h["versions"][1]["value"], 0.8);

  // Bad values: non-zero exit, a message naming the allowed values, nothing stored.
  auto yes = RunCli(server.url(), {"params", "set", "Enable-A2I-Workflow", "yes"});
  EXPECT_NE(yes.exit_code, 0);
  EXPECT_NE(yes.err.find("true or false"), std::string::npos) << yes.err;
  auto zero = RunCli(server.url(), {"params", "set", "Minimum-Inference-Units", "0"});
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_NE(zero.err.find("[1, 64]"), std::string::npos) << zero.err;
  auto unknown = RunCli(server.url(), {"params", "get", "Nope"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("NotFound"), std::string::npos);
  auto units = RunCli(server.url(), {"params", "get", "Minimum-Inference-Units"});
  EXPECT_EQ(units.out, "1\n");

  // Unreachable server: a clear message and a non-zero exit.
  auto down = RunCli("http://127.0.0.1:1", {"params", "list"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.err.find("cannot reach loupe"), std::string::npos) << down.err;
  EXPECT_EQ(server.Stop(), 0);
}

TEST(FoundationE2E, CliObjectsRoundTrip) {
  TempDir dir;
  ServerProcess server((dir.path() / "data").string());
  ASSERT_TRUE(server.Start().ok());
  WriteFile(dir.path() / "in.bin", std::string("\x00\x01binary\xff", 9));
  auto put = RunCli(server.url(), {"objects", "put", (dir.path() / "in.bin").string(),
                                   "images_labeled_by_folder/acme/1.jpg"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = RunCli(server.url(), {"objects", "ls", "images_labeled_by_folder/"});
  EXPECT_NE(ls.out.find("images_labeled_by_folder/acme/1.jpg"), std::string::npos);
  auto get = RunCli(server.url(), {"objects", "get", "images_labeled_by_folder/acme/1.jpg", "-o",
                                   (dir.path() / "out.bin").string()});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  std::ifstream in(dir.path() / "out.bin", std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(back, std::string("\x00\x01binary\xff", 9));
  auto bad = RunCli(server.url(), {"objects", "put", (dir.path() / "in.bin").string(), "../x"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("InvalidArgument"), std::string::npos) << bad.err;
  auto rm = RunCli(server.url(), {"objects", "rm", "images_labeled_by_folder/acme/1.jpg"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  auto events = RunCli(server.url(), {"events", "ls", "--kind", "ObjectCreated"});
  EXPECT_NE(events.out.find("images_labeled_by_folder/acme/1.jpg"), std::string::npos);
}

TEST(FoundationE2E, FileCopiedIntoTheFolderIsOneEventAlsoWhileStopped) {
  TempDir dir;
  fs::path data = dir.path() / "data";
  ServerProcess server(data.string());
  ASSERT_TRUE(server.Start().ok());
  auto client = server.Client();
  // While running: a file copied in by another program.
  WriteFile(dir.path() / "some.jpg", std::string(5000, 'j'));
  fs::create_directories(data / "objects/images_for_detection");
  fs::copy_file(dir.path() / "some.jpg", data / "objects/images_for_detection/some.jpg");
  ASSERT_TRUE(WaitFor([&] { return CountCreated(*client, "images_for_detection/some.jpg") == 1; }));
  ASSERT_EQ(server.Stop(), 0);

  // While stopped: found on the next start, once; the earlier file is not reported again.
  fs::copy_file(dir.path() / "some.jpg", data / "objects/images_for_detection/offline.jpg");
  ServerProcess again(data.string());
  ASSERT_TRUE(again.Start().ok());
  client = again.Client();
  ASSERT_TRUE(
      WaitFor([&] { return CountCreated(*client, "images_for_detection/offline.jpg") == 1; }));
  EXPECT_EQ(CountCreated(*client, "images_for_detection/some.jpg"), 1);
  ASSERT_EQ(again.Stop(), 0);

  // A third start with nothing new reports nothing new.
  ServerProcess third(data.string());
  ASSERT_TRUE(third.Start().ok());
  client = third.Client();
  json objects = Get(*client, "/v1/objects?prefix=images_for_detection/");
  EXPECT_EQ(objects["objects"].size(), 2u);
  EXPECT_EQ(CountCreated(*client, "images_for_detection/offline.jpg"), 1);
  EXPECT_EQ(CountCreated(*client, "images_for_detection/some.jpg"), 1);
}

TEST(FoundationE2E, RequestsOverTheBodyLimitGet413) {
  TempDir dir;
  ServerProcess server((dir.path() / "data").string(), {"--max-body-mb", "1"});
  ASSERT_TRUE(server.Start().ok());
  auto client = server.Client();
  auto r = client->Send("PUT", "/v1/objects/big.jpg", std::string(1024 * 1024 + 10, 'x'),
                        "application/octet-stream");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "PayloadTooLarge");
  EXPECT_TRUE(Get(*client, "/v1/objects")["objects"].empty());
}

// kill -9 during a burst of parameter changes and uploads: every acknowledged write survives,
// no object is partial, and the event log has exactly one ObjectCreated per acknowledged key.
TEST(FoundationE2E, SigkillDuringWritesLosesNothingAcknowledged) {
  TempDir dir;
  fs::path data = dir.path() / "data";
  std::map<std::string, std::string> acked_objects;  // key -> sha256
  std::vector<int64_t> acked_units;                  // values acknowledged, in order
  std::mt19937 rng(42);
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    ServerProcess server(data.string());
    ASSERT_TRUE(server.Start().ok()) << "round " << round;
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
      writers.emplace_back([&, w] {
        auto c = server.Client();
        c->SetTimeoutSeconds(5);
        for (int i = 0; !stop; ++i) {
          if (w == 0) {
            int64_t units = 1 + (round * 1000 + i) % 64;
            auto r = c->Send("PUT", "/v1/parameters/Minimum-Inference-Units",
                             json({{"value", units}}).dump());
            if (!r.ok()) return;
            if (r->status == 200) {
              std::lock_guard lock(mu);
              acked_units.push_back(units);
            }
          } else {
            std::string key = "images_for_detection/r" + std::to_string(round) + "w" +
                              std::to_string(w) + "i" + std::to_string(i) + ".jpg";
            std::string bytes(20000 + (i * 7919) % 200000, static_cast<char>('a' + i % 26));
            auto r = c->Send("PUT", "/v1/objects/" + key, bytes, "image/jpeg");
            if (!r.ok()) return;
            if (r->status == 200) {
              std::lock_guard lock(mu);
              acked_objects[key] = Sha256Hex(bytes);
            }
          }
        }
      });
    }
    // Let the burst run until some writes are acknowledged, then kill at a random moment.
    size_t before = acked_objects.size();
    ASSERT_TRUE(WaitFor([&] {
      std::lock_guard lock(mu);
      return acked_objects.size() >= before + 5 + rng() % 20;
    }));
    server.Kill();
    stop = true;
    for (auto& t : writers) t.join();
  }

  ServerProcess server(data.string());
  ASSERT_TRUE(server.Start().ok());
  auto client = server.Client();
  for (const auto& [key, sha] : acked_objects) {
    auto r = client->Send("GET", "/v1/objects/" + key);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << key << " was acknowledged but is gone";
    EXPECT_EQ(Sha256Hex(r->body), sha) << key;
  }
  // No partial object: every listed object's bytes match its recorded hash and size.
  std::string token;
  int listed = 0;
  do {
    json page = Get(*client, "/v1/objects?page_token=" + server::EncodeQuery(token));
    for (const json& o : page["objects"]) {
      auto r = client->Send("GET", "/v1/objects/" + o["key"].get<std::string>());
      ASSERT_EQ(r->status, 200);
      EXPECT_EQ(Sha256Hex(r->body), o["sha256"]) << o["key"];
      EXPECT_EQ(static_cast<int64_t>(r->body.size()), o["size"].get<int64_t>());
      // Exactly one ObjectCreated per stored key.
      EXPECT_EQ(CountCreated(*client, o["key"]), 1) << o["key"];
      ++listed;
    }
    token = page["next_page_token"].is_string() ? page["next_page_token"].get<std::string>() : "";
  } while (!token.empty());
  EXPECT_GE(listed, static_cast<int>(acked_objects.size()));
  // Every acknowledged parameter value is in the history, in order, with contiguous versions.
  json history = Get(*client, "/v1/parameters/Minimum-Inference-Units/history");
  std::vector<int64_t> values;
  const json& versions = history["versions"];
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i + 1 < versions.size()) {
      EXPECT_EQ(versions[i]["version"].get<int64_t>(),
                versions[i + 1]["version"].get<int64_t>() + 1);
    }
    values.insert(values.begin(), versions[i]["value"].get<int64_t>());
  }
  size_t pos = 0;
  for (int64_t v : acked_units) {
    while (pos < values.size() && values[pos] != v) ++pos;
    ASSERT_LT(pos, values.size()) << "acknowledged value " << v << " missing from history";
  }
  // No temporary files were promoted into the object tree.
  for (const auto& entry : fs::recursive_directory_iterator(data / "objects")) {
    EXPECT_NE(entry.path().filename().string().rfind(".", 0), 0u) << entry.path();
  }
  std::printf("acknowledged: %zu objects, %zu parameter changes over %d kills\n",
              acked_objects.size(), acked_units.size(), kRounds);
}

}  // namespace
}  // namespace loupe
