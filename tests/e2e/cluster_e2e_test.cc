// Scale-out: `loupe serve` processes on one PostgreSQL database and one S3 bucket
// (the servers the db and store tests use: a PostgreSQL started in a temp dir, npm s3rver).
// Two start together, see each other's objects and parameter changes and register an object
// that another program put straight into the bucket exactly once; a third joins and a stream
// of uploads through all three and the bucket gives one event and one detection execution
// each; they keep serving when one is killed (which restarts and catches up), and reconnect
// when the database restarts.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "core/temp_dir.h"
#include "db/testing.h"
#include "store/s3_client.h"
#include "store/s3_testing.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::ServerProcess;
using testing::WaitFor;

json Get(server::HttpClient& c, const std::string& path) {
  auto r = c.Send("GET", path);
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body);
}

int CountCreated(server::HttpClient& c, const std::string& key) {
  json page = Get(c, "/v1/events?kind=ObjectCreated&limit=1000");
  if (page.is_null()) return -1;
  int count = 0;
  for (const json& e : page["events"]) count += e["payload"]["key"] == key ? 1 : 0;
  return count;
}

TEST(ClusterE2E, ProcessesShareOneDatabaseAndOneBucket) {
  TempDir dir;
  auto& s3 = store::testing::S3Server::Shared();
  const std::string prefix = store::testing::S3Server::FreshPrefix();
  const std::vector<std::pair<std::string, std::string>> env = {
      {"LOUPE_DB", db::testing::PostgresServer::Shared().FreshUrl()},
      {"LOUPE_STORE", "s3://loupe/" + prefix},
      {"LOUPE_S3_ENDPOINT", s3.endpoint()},
      {"AWS_ACCESS_KEY_ID", "S3RVER"},
      {"AWS_SECRET_ACCESS_KEY", "S3RVER"}};
  ServerProcess a((dir.path() / "a").string(), {}, env);
  ServerProcess b((dir.path() / "b").string(), {}, env);
  // Both start at once on an empty database: one applies the migrations, the other waits.
  Status started_a;
  Status started_b;
  std::thread ta([&] { started_a = a.Start(); });
  std::thread tb([&] { started_b = b.Start(); });
  ta.join();
  tb.join();
  ASSERT_TRUE(started_a.ok()) << started_a;
  ASSERT_TRUE(started_b.ok()) << started_b;
  auto ca = a.Client();
  auto cb = b.Client();

  // An object uploaded through one process is there, once, for the other.
  auto put = ca->Send("PUT", "/v1/objects/images_labeled_by_folder/acme/1.png", "png bytes");
  ASSERT_TRUE(put.ok() && put->status == 200) << (put.ok() ? put->body : put.status().ToString());
  auto got = cb->Send("GET", "/v1/objects/images_labeled_by_folder/acme/1.png");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "png bytes");
  EXPECT_EQ(CountCreated(*cb, "images_labeled_by_folder/acme/1.png"), 1);

  // A parameter changed through one process reaches the other without a restart.
  auto set =
      ca->Send("PUT", "/v1/parameters/Minimum-Label-Detection-Confidence", R"({"value": 55})");
  ASSERT_TRUE(set.ok() && set->status == 200);
  EXPECT_TRUE(WaitFor([&] {
    return Get(*cb, "/v1/parameters/Minimum-Label-Detection-Confidence")["value"] == 55;
  }));

  // An object another program put straight into the bucket: found by the reconcilers, one
  // ObjectCreated whichever process registers it, also when told again by an event.
  auto raw = std::move(store::S3Client::Create(s3.Options())).value();
  ASSERT_TRUE(raw->Put(prefix + "/images_for_detection/cam.jpg", "from a camera", "").ok());
  EXPECT_TRUE(WaitFor([&] { return CountCreated(*ca, "images_for_detection/cam.jpg") == 1; },
                      std::chrono::seconds(60)));
  json notice = {
      {"Records", {{{"s3", {{"object", {{"key", prefix + "/images_for_detection/cam.jpg"}}}}}}}}};
  auto told = cb->Send("POST", "/v1/objects/events", notice.dump());
  ASSERT_TRUE(told.ok());
  EXPECT_EQ(told->status, 200) << told->body;
  EXPECT_EQ(CountCreated(*cb, "images_for_detection/cam.jpg"), 1);
  auto cam = cb->Send("GET", "/v1/objects/images_for_detection/cam.jpg");
  ASSERT_TRUE(cam.ok());
  EXPECT_EQ(cam->body, "from a camera");

  // A third process joins; a stream of uploads goes in through all three and straight into
  // the bucket. Each upload is one ObjectCreated and starts one detection execution, whichever
  // process's router sees its event first (no model is deployed: they wait in the backlog).
  ServerProcess c((dir.path() / "c").string(), {}, env);
  ASSERT_TRUE(c.Start().ok());
  auto cc = c.Client();
  std::vector<server::HttpClient*> clients = {ca.get(), cb.get(), cc.get()};
  std::vector<std::string> uploads;
  for (int i = 0; i < 60; ++i) {
    std::string key = "images_for_detection/u" + std::to_string(i) + ".jpg";
    uploads.push_back(key);
    if (i % 4 == 3) {
      ASSERT_TRUE(raw->Put(prefix + "/" + key, "foreign " + std::to_string(i), "").ok());
      continue;
    }
    auto r = clients[i % 3]->Send("PUT", "/v1/objects/" + key, "upload " + std::to_string(i));
    ASSERT_TRUE(r.ok() && r->status == 200) << key;
  }
  uploads.push_back("images_for_detection/cam.jpg");
  auto detections = [&](server::HttpClient& client) {
    json list = Get(client, "/v1/executions?state_machine=detection&limit=1000");
    std::map<std::string, int> per_key;
    if (list.is_null()) return per_key;
    for (const json& e : list["executions"]) per_key[e["input"]["detail"]["key"]]++;
    return per_key;
  };
  EXPECT_TRUE(
      WaitFor([&] { return detections(*cc).size() == uploads.size(); }, std::chrono::seconds(90)));
  std::map<std::string, int> per_key = detections(*ca);
  for (const std::string& key : uploads) {
    EXPECT_EQ(per_key[key], 1) << key;
    EXPECT_EQ(CountCreated(*cb, key), 1) << key;
  }
  std::printf(
      "cluster: %zu uploads through 3 processes and the bucket, %zu detection "
      "executions\n",
      uploads.size(), per_key.size());

  // One process dies; the other keeps answering, healthy; the dead one restarts and catches up.
  a.Kill();
  auto health = cb->Send("GET", "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(Get(*cb, "/v1/parameters/Minimum-Label-Detection-Confidence")["value"], 55);
  ASSERT_TRUE(cb->Send("PUT", "/v1/parameters/Minimum-Untrained-Images", R"({"value": 7})").ok());
  ASSERT_TRUE(a.Start().ok());
  auto ca2 = a.Client();
  EXPECT_EQ(Get(*ca2, "/v1/parameters/Minimum-Untrained-Images")["value"], 7);
  EXPECT_EQ(CountCreated(*ca2, "images_for_detection/cam.jpg"), 1);

  // The database restarts under both: /healthz says so while it is down, and both reconnect.
  auto& pg = db::testing::PostgresServer::Shared();
  pg.Stop();
  EXPECT_TRUE(WaitFor([&] {
    auto h = cb->Send("GET", "/healthz");
    return h.ok() && h->status == 503;
  }));
  pg.Start();
  for (server::HttpClient* client : {ca2.get(), cb.get(), cc.get()}) {
    EXPECT_TRUE(WaitFor([&] {
      auto h = client->Send("GET", "/healthz");
      return h.ok() && h->status == 200;
    }));
  }
  auto after = ca2->Send("PUT", "/v1/objects/images_labeled_by_folder/acme/2.png", "more");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200) << after->body;
  EXPECT_EQ(CountCreated(*cb, "images_labeled_by_folder/acme/2.png"), 1);
}

}  // namespace
}  // namespace loupe
