// Drives the foundation routes (service, parameters, objects, events) over real HTTP on a free
// loopback port.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "events/http/event_routes.h"
#include "params/http/parameter_routes.h"
#include "server/fixed_authenticator.h"
#include "server/http_client.h"
#include "server/http_server.h"
#include "server/service_routes.h"
#include "store/http/object_routes.h"
#include "support/foundation.h"

namespace loupe::server {
namespace {

using nlohmann::json;

class ApiServerTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    AddServiceRoutes(router_, {"test",
                               [this] {
                                 return db_->Read([](db::Transaction& tx) {
                                   return tx.Query("SELECT 1").status();
                                 });
                               },
                               nullptr});
    params::AddParameterRoutes(router_, *params_);
    store::AddObjectRoutes(router_, *store_);
    events::AddEventRoutes(router_, *events_);
    server_ = std::make_unique<HttpServer>(router_, HttpServerOptions{1024 * 1024}, &auth_);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    thread_ = std::thread([this] { (void)server_->Run(); });
    client_ = std::move(HttpClient::Create("http://127.0.0.1:" + std::to_string(*port))).value();
  }
  void TearDown() override {
    client_.reset();  // closes the keep-alive connection so shutdown needn't wait for it
    server_->Stop();
    thread_.join();
  }

  ClientResponse Call(std::string_view method, const std::string& path,
                      const std::string& body = "") {
    auto r = client_->Send(method, path, body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }
  static json Body(const ClientResponse& r) { return json::parse(r.body); }
  static std::string ErrorCode(const ClientResponse& r) {
    return Body(r)["error"]["code"].get<std::string>();
  }

  Router router_;
  FixedAuthenticator auth_{FixedAuthenticator::Admin()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ApiServerTest, HealthAndOpenApi) {
  auto r = Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["status"], "ok");
  auto doc = Body(Call("GET", "/v1/openapi.json"));
  EXPECT_TRUE(doc["paths"].contains("/v1/parameters/{p1}/history"));
  EXPECT_EQ(doc["paths"]["/v1/parameters"]["get"]["x-loupe-role"], "operator");
}

TEST_F(ApiServerTest, ParametersReadChangeAndHistory) {
  auto list = Body(Call("GET", "/v1/parameters"));
  ASSERT_EQ(list["parameters"].size(), 8u);
  auto f1 = Body(Call("GET", "/v1/parameters/Minimum-F1-Score"));
  EXPECT_EQ(f1["value"], 0.8);
  EXPECT_EQ(f1["version"], 1);
  EXPECT_TRUE(f1.contains("updated_at"));
  EXPECT_TRUE(f1.contains("updated_by"));

  auto put = Call("PUT", "/v1/parameters/Minimum-F1-Score", R"({"value": 0.85})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Body(put)["value"], 0.85);
  EXPECT_EQ(Body(put)["version"], 2);
  auto history = Body(Call("GET", "/v1/parameters/Minimum-F1-Score/history"));
  ASSERT_EQ(history["versions"].size(), 2u);
  EXPECT_EQ(history["versions"][0]["value"], 0.85);
  EXPECT_EQ(history["versions"][1]["value"], 0.8);

  auto bool_put = Call("PUT", "/v1/parameters/Enable-A2I-Workflow", R"({"value": false})");
  EXPECT_EQ(bool_put.status, 200);
  EXPECT_EQ(Body(bool_put)["value"], false);
}

TEST_F(ApiServerTest, BadParameterInputGets4xxAndChangesNothing) {
  auto unknown = Call("PUT", "/v1/parameters/Nope", R"({"value": 1})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "NotFound");
  EXPECT_EQ(Call("GET", "/v1/parameters/Nope").status, 404);

  auto range = Call("PUT", "/v1/parameters/Minimum-F1-Score", R"({"value": 1.5})");
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(ErrorCode(range), "InvalidArgument");
  EXPECT_NE(Body(range)["error"]["message"].get<std::string>().find("[0, 1]"), std::string::npos);

  auto yes = Call("PUT", "/v1/parameters/Enable-A2I-Workflow", R"({"value": "yes"})");
  EXPECT_EQ(yes.status, 400);
  auto zero = Call("PUT", "/v1/parameters/Minimum-Inference-Units", R"({"value": 0})");
  EXPECT_EQ(zero.status, 400);
  EXPECT_NE(Body(zero)["error"]["message"].get<std::string>().find("[1, 64]"), std::string::npos);

  auto malformed = Call("PUT", "/v1/parameters/Minimum-F1-Score", R"({"value": )");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(ErrorCode(malformed), "InvalidArgument");
  auto no_value = Call("PUT", "/v1/parameters/Minimum-F1-Score", R"({"val": 0.9})");
  EXPECT_EQ(no_value.status, 400);
  auto system = Call("PUT", "/v1/parameters/System-State", R"({"value": {}})");
  EXPECT_EQ(system.status, 403);

  EXPECT_EQ(Body(Call("GET", "/v1/parameters/Minimum-F1-Score"))["version"], 1);
  EXPECT_EQ(Body(Call("GET", "/v1/parameters/Enable-A2I-Workflow"))["value"], true);
  EXPECT_EQ(Body(Call("GET", "/v1/parameters/Minimum-Inference-Units"))["value"], 1);
}

TEST_F(ApiServerTest, ObjectsPutGetHeadListDelete) {
  std::string jpeg("\xff\xd8\xff\xe0 fake", 9);
  auto put = Call("PUT", "/v1/objects/images_for_detection/a.jpg", jpeg);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Body(put)["size"], 9);
  EXPECT_EQ(Body(put)["sha256"].get<std::string>().size(), 64u);

  auto get = Call("GET", "/v1/objects/images_for_detection/a.jpg");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, jpeg);
  EXPECT_EQ(get.headers["content-type"], "image/jpeg");
  auto head = Call("HEAD", "/v1/objects/images_for_detection/a.jpg");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["x-loupe-size"], "9");

  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Call("PUT", "/v1/objects/p/" + std::to_string(i) + ".txt", "x").status, 200);
  }
  auto page1 = Body(Call("GET", "/v1/objects?prefix=p/&max_keys=3"));
  ASSERT_EQ(page1["objects"].size(), 3u);
  ASSERT_TRUE(page1["next_page_token"].is_string());
  auto page2 = Body(Call("GET", "/v1/objects?prefix=p/&max_keys=3&page_token=" +
                                    EncodeQuery(page1["next_page_token"].get<std::string>())));
  ASSERT_EQ(page2["objects"].size(), 2u);
  EXPECT_TRUE(page2["next_page_token"].is_null());
  EXPECT_EQ(page2["objects"][1]["key"], "p/4.txt");

  EXPECT_EQ(Call("DELETE", "/v1/objects/p/0.txt").status, 204);
  EXPECT_EQ(Call("GET", "/v1/objects/p/0.txt").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/objects/p/0.txt").status, 404);

  auto events = Body(Call("GET", "/v1/events?after=0"));
  ASSERT_GE(events["events"].size(), 6u);
  EXPECT_EQ(events["events"][0]["kind"], "ObjectCreated");
  EXPECT_EQ(events["events"][0]["payload"]["key"], "images_for_detection/a.jpg");
  auto later = Body(Call("GET", "/v1/events?after=" + std::to_string(events["next"].get<int>())));
  EXPECT_TRUE(later["events"].empty());
}

TEST_F(ApiServerTest, BadObjectRequestsGet4xx) {
  auto dotdot = Call("PUT", "/v1/objects/a/../../etc/passwd", "x");
  EXPECT_EQ(dotdot.status, 400);
  EXPECT_EQ(ErrorCode(dotdot), "InvalidArgument");
  auto leading = Call("PUT", "/v1/objects//etc/passwd", "x");
  EXPECT_EQ(leading.status, 400);
  auto encoded = Call("PUT", "/v1/objects/a/%2e%2e/b", "x");
  EXPECT_EQ(encoded.status, 400);
  auto big = Call("PUT", "/v1/objects/big.bin", std::string(1024 * 1024 + 1, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(ErrorCode(big), "PayloadTooLarge");
  EXPECT_EQ(Call("GET", "/v1/objects/missing.jpg").status, 404);
  EXPECT_EQ(Call("GET", "/v1/objects?max_keys=5000").status, 400);
  EXPECT_EQ(Call("GET", "/v1/events?after=abc").status, 400);
  EXPECT_EQ(Call("GET", "/v1/events?kind=Bogus").status, 400);
  auto no_route = Call("GET", "/v1/nothing-here");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(ErrorCode(no_route), "NotFound");
  // Nothing was stored by the refused requests.
  auto all = Body(Call("GET", "/v1/objects"));
  EXPECT_TRUE(all["objects"].empty());
}

// A storage event notification (S3's shape) names objects another program put in or removed.
TEST_F(ApiServerTest, StorageEventsRegisterWhatTheyName) {
  std::filesystem::path file = store_->ObjectsDir() / "images_for_detection" / "cam 1.jpg";
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << "from a camera";
  auto notice = [](const std::string& key) {
    return json{{"eventName", "s3:ObjectCreated:Put"}, {"s3", {{"object", {{"key", key}}}}}};
  };
  json body = {
      {"Records",
       {notice("images_for_detection/cam+1.jpg"), notice("gone%2Fx.jpg"), notice("..%2Fescape")}}};
  auto r = Call("POST", "/v1/objects/events", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto records = Body(r)["records"];
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["key"], "images_for_detection/cam 1.jpg");
  EXPECT_EQ(records[0]["state"], "present");
  EXPECT_EQ(records[1]["key"], "gone/x.jpg");
  EXPECT_EQ(records[1]["state"], "absent");
  EXPECT_EQ(records[2]["state"], "ignored");
  // Told twice, still one ObjectCreated.
  ASSERT_EQ(Call("POST", "/v1/objects/events", body.dump()).status, 200);
  auto events = Body(Call("GET", "/v1/events?kind=ObjectCreated"));
  ASSERT_EQ(events["events"].size(), 1u);
  EXPECT_EQ(events["events"][0]["payload"]["key"], "images_for_detection/cam 1.jpg");

  EXPECT_EQ(Call("POST", "/v1/objects/events", "not json").status, 400);
  EXPECT_EQ(Call("POST", "/v1/objects/events", R"({"Records": [{"s3": {}}]})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/objects/events", R"({"records": []})").status, 400);
  EXPECT_EQ(
      Call("POST", "/v1/objects/events", R"({"Records": [{"s3": {"object": {"key": "a%zz"}}}]})")
          .status,
      400);
}

TEST_F(ApiServerTest, EveryRouteDeclaresARoleAndIsUnique) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const Route& r : router_.routes()) {
    EXPECT_TRUE(seen.insert({r.method, r.pattern}).second) << r.method << " " << r.pattern;
    EXPECT_FALSE(r.summary.empty()) << r.pattern;
    if (r.pattern.starts_with("/v1/") && r.pattern != "/v1/openapi.json") {
      EXPECT_NE(r.role, Role::kPublic) << r.method << " " << r.pattern << " must need a role";
    }
  }
}

}  // namespace
}  // namespace loupe::server
