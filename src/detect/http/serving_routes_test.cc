// Drives the model and detection routes over real HTTP on a free loopback port, including a
// load test across a blue/green switch, a rescale and a rollback.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "detect/http/detect_routes.h"
#include "events/http/event_routes.h"
#include "models/http/model_routes.h"
#include "models/testing.h"
#include "params/http/parameter_routes.h"
#include "server/fixed_authenticator.h"
#include "server/http_client.h"
#include "server/http_server.h"
#include "server/service_routes.h"
#include "store/http/object_routes.h"
#include "support/foundation.h"

namespace loupe::detect {
namespace {

using models::testing::SolidPng;
using nlohmann::json;
using server::ClientResponse;
using server::FixedAuthenticator;
using server::HttpClient;
using server::HttpServer;
using server::HttpServerOptions;
using server::Router;

class ServingRoutesTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    registry_ = std::move(models::ModelRegistry::Open(*db_, clock_, *store_)).value();
    models::ServiceOptions options;
    options.cache_dir = dir_.path() / "cache";
    options.pool = {8, std::chrono::milliseconds(10000)};
    service_ = std::move(models::ModelService::Create(*registry_, params_.get(), clock_,
                                                      loader_.Loader(), options))
                   .value();
    detect_ = std::make_unique<detect::DetectService>(*service_, *store_, clock_);
    server::AddServiceRoutes(router_, {"test", nullptr, nullptr});
    params::AddParameterRoutes(router_, *params_);
    store::AddObjectRoutes(router_, *store_);
    events::AddEventRoutes(router_, *events_);
    AddModelRoutes(router_, *service_);
    AddModelEvaluationRoute(router_, *service_, *store_);
    AddDetectRoutes(router_, *detect_);
    server_ = std::make_unique<HttpServer>(router_, HttpServerOptions{16 * 1024 * 1024}, &auth_);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    thread_ = std::thread([this] { (void)server_->Run(); });
    client_ = std::move(HttpClient::Create(base_)).value();
    ASSERT_TRUE(models::testing::WriteFakeArtifact(dir_.path() / "artifact").ok());
  }
  void TearDown() override {
    client_.reset();
    server_->Stop();
    thread_.join();
    service_->Shutdown();
  }
  ClientResponse Call(std::string_view method, const std::string& path,
                      const std::string& body = "", const std::string& type = "application/json") {
    auto r = client_->Send(method, path, body, type);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }
  static json Body(const ClientResponse& r) { return json::parse(r.body, nullptr, false); }
  // Uploads the fake artifact under a staging prefix and imports it: returns the version.
  std::string Import() {
    std::string prefix = "uploads/m" + std::to_string(++imports_) + "/";
    for (const auto& f : std::filesystem::directory_iterator(dir_.path() / "artifact")) {
      std::ifstream in(f.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(Call("PUT", "/v1/objects/" + prefix + f.path().filename().string(), bytes,
                     "application/octet-stream")
                    .status,
                200);
    }
    ClientResponse r = Call("POST", "/v1/models", json({{"source_prefix", prefix}}).dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r)["version"].get<std::string>();
  }

  models::testing::FakeLoader loader_;
  std::unique_ptr<models::ModelRegistry> registry_;
  std::unique_ptr<models::ModelService> service_;
  std::unique_ptr<detect::DetectService> detect_;
  Router router_;
  FixedAuthenticator auth_{FixedAuthenticator::Admin()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string base_;
  std::unique_ptr<HttpClient> client_;
  int imports_ = 0;
};

TEST_F(ServingRoutesTest, ImportDeployDetect) {
  ClientResponse none = Call("POST", "/v1/detect", SolidPng(80, 80, 200, 0, 0), "image/png");
  EXPECT_EQ(none.status, 409);
  EXPECT_NE(none.body.find("no model is deployed"), std::string::npos);

  std::string v = Import();
  EXPECT_EQ(v, "v1");
  ClientResponse deployed = Call("POST", "/v1/models/v1/deploy", "{}");
  ASSERT_EQ(deployed.status, 200) << deployed.body;
  EXPECT_EQ(Body(deployed)["status"], "RUNNING");
  EXPECT_EQ(Body(deployed)["serving"]["production"], true);

  ClientResponse r =
      Call("POST", "/v1/detect?MinConfidence=0", SolidPng(80, 80, 200, 0, 0), "image/png");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["ModelVersion"], "v1");
  ASSERT_EQ(j["CustomLabels"].size(), 3u);
  EXPECT_EQ(j["CustomLabels"][0]["Name"], "red");
  EXPECT_GE(j["CustomLabels"][0]["Confidence"].get<double>(),
            j["CustomLabels"][1]["Confidence"].get<double>());

  ASSERT_EQ(Call("PUT", "/v1/objects/images_for_detection/x.png", SolidPng(70, 70, 0, 0, 200),
                 "image/png")
                .status,
            200);
  ClientResponse by_key =
      Call("POST", "/v1/detect",
           json({{"Image", {{"S3Object", {{"Name", "images_for_detection/x.png"}}}}},
                 {"MaxResults", 1},
                 {"MinConfidence", 0}})
               .dump());
  ASSERT_EQ(by_key.status, 200) << by_key.body;
  EXPECT_EQ(Body(by_key)["CustomLabels"][0]["Name"], "blue");
  EXPECT_EQ(Body(by_key)["DetectionResult"], "detection_results/x.png.json");
  EXPECT_TRUE(store_->Head("detection_results/x.png.json").ok());

  json list = Body(Call("GET", "/v1/models"));
  EXPECT_EQ(list["production"], "v1");
  json described = Body(Call("GET", "/v1/models/v1"));
  EXPECT_GE(described["history"].size(), 4u);
  EXPECT_EQ(Call("GET", "/v1/models/nope").status, 404);
  json openapi = Body(Call("GET", "/v1/openapi.json"));
  EXPECT_TRUE(openapi["paths"].contains("/v1/detect"));
}

TEST_F(ServingRoutesTest, EvaluationOfAVersionComesFromItsArtifact) {
  EXPECT_EQ(Call("GET", "/v1/models/v9/evaluation").status, 404);
  std::string v = Import();
  ClientResponse r = Call("GET", "/v1/models/" + v + "/evaluation");
  ASSERT_EQ(r.status, 200) << r.body;
  json e = Body(r);
  EXPECT_EQ(e["Version"], v);
  EXPECT_DOUBLE_EQ(e["MacroF1"].get<double>(), 0.9);
  EXPECT_FALSE(e["PerLabel"].empty());
  EXPECT_TRUE(e["PerLabel"][0].contains("Precision"));
  EXPECT_TRUE(e["ConfusionMatrix"]["Counts"].is_array());
}

TEST_F(ServingRoutesTest, HostileImagesGet400AndTheServerKeepsServing) {
  Import();
  ASSERT_EQ(Call("POST", "/v1/models/v1/deploy").status, 200);
  std::string png = SolidPng(80, 80, 0, 200, 0);
  std::string huge = models::testing::WithHugeDimensions(png);
  for (const std::string& bad :
       {png.substr(0, 60), huge, std::string(), std::string("plain text, named .jpg"),
        std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10)}) {
    ClientResponse r = Call("POST", "/v1/detect", bad, "image/jpeg");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(Body(r)["error"]["code"], "InvalidArgument");
  }
  EXPECT_EQ(Call("POST", "/v1/detect", "{\"Image\":{}}").status, 400);
  EXPECT_EQ(Call("POST", "/v1/detect?MinConfidence=abc", png, "image/png").status, 400);
  ClientResponse ok = Call("POST", "/v1/detect", png, "image/png");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(ServingRoutesTest, AFailedDeployKeepsTheOldVersionServing) {
  Import();
  Import();
  ASSERT_EQ(Call("POST", "/v1/models/v1/deploy").status, 200);
  loader_.fail_load->store(true);
  ClientResponse failed = Call("POST", "/v1/models/v2/deploy");
  EXPECT_EQ(failed.status, 409) << failed.body;
  EXPECT_NE(failed.body.find("v1 keeps serving"), std::string::npos);
  EXPECT_EQ(Body(Call("GET", "/v1/models/v2"))["status"], "FAILED");
  ClientResponse r = Call("POST", "/v1/detect", SolidPng(80, 80, 9, 9, 200), "image/png");
  EXPECT_EQ(Body(r)["ModelVersion"], "v1");
}

// Load test: 4 clients on loopback keep detecting while production switches v1 -> v2, units
// go 1 -> 4 -> 1 and production rolls back to v1. Bounded: at most 3000 requests per client.
TEST_F(ServingRoutesTest, ZeroFailedRequestsAcrossSwitchRescaleAndRollback) {
  Import();
  Import();
  ASSERT_EQ(Call("POST", "/v1/models/v1/deploy").status, 200);
  const std::string png = SolidPng(96, 96, 180, 40, 40);
  models::testing::LoadClients load(4, 3000, [&]() -> models::testing::LoadClients::Request {
    std::shared_ptr<HttpClient> c = std::move(HttpClient::Create(base_)).value();
    return [c, &png]() -> Result<std::string> {
      auto r = c->Send("POST", "/v1/detect?MinConfidence=0", png, "image/png");
      if (!r.ok()) return r.status();
      json j = json::parse(r->body, nullptr, false);
      if (r->status != 200 || !j.contains("ModelVersion") ||
          j["ModelVersion"] != r->headers["x-loupe-model-version"] ||
          j["CustomLabels"][0]["Name"] != "red") {
        return InternalError(r->body);
      }
      return j["ModelVersion"].get<std::string>();
    };
  });
  // Blocks (at most 30 s) until the clients did `n` more good requests, one failed, or all ended.
  auto wait_for = [&](int64_t n) { load.WaitFor(n, std::chrono::seconds(30)); };
  wait_for(40);
  EXPECT_EQ(Call("POST", "/v1/models/v2/deploy").status, 200);
  wait_for(40);
  EXPECT_EQ(Call("PUT", "/v1/parameters/Minimum-Inference-Units", "{\"value\":4}").status, 200);
  wait_for(40);
  EXPECT_EQ(Body(Call("GET", "/v1/models/v2"))["serving"]["units"], 4);
  EXPECT_EQ(Call("PUT", "/v1/parameters/Minimum-Inference-Units", "{\"value\":1}").status, 200);
  wait_for(40);
  ClientResponse back = Call("POST", "/v1/endpoints/production/rollback", "{}");
  EXPECT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(Body(back)["version"], "v1");
  wait_for(40);
  load.Stop();
  EXPECT_EQ(load.failed(), 0) << load.FailureReport();
  EXPECT_GE(load.ok(), 200);
  EXPECT_GT(load.AnsweredBy("v2"), 0);
  json endpoint = Body(Call("GET", "/v1/endpoints/production"));
  EXPECT_EQ(endpoint["version"], "v1");
  EXPECT_EQ(endpoint["history"].size(), 3u);
}

}  // namespace
}  // namespace loupe::detect
