// Serves a console directory over real HTTP and checks headers, client-side routes and that no
// request reads a file outside the directory.
#include "console/http/static_routes.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "core/temp_dir.h"
#include "server/http_client.h"
#include "server/http_server.h"

namespace loupe::console {
namespace {

using server::ClientResponse;
using server::HttpClient;
using server::HttpRequest;
using server::HttpResponse;
using server::HttpServer;
using server::HttpServerOptions;
using server::Role;
using server::Route;
using server::Router;

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class StaticRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_ = dir_.path() / "web";
    WriteFile(web_ / "index.html", "<!doctype html><title>loupe</title>");
    WriteFile(web_ / "favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    WriteFile(web_ / "assets" / "index-AbC123.js", "console.log(1)");
    WriteFile(web_ / "assets" / "index-AbC123.css", "body{}");
    WriteFile(dir_.path() / "secret.txt", "top secret");
    fs::create_symlink(dir_.path() / "secret.txt", web_ / "assets" / "link.txt");
    AddStaticRoutes(router_, web_);
    router_.Add({"GET", "/v1/ping", Role::kPublic, "test", [](const HttpRequest&) {
                   return HttpResponse::Json(200, {{"ok", true}});
                 }});
    server_ = std::make_unique<HttpServer>(router_, HttpServerOptions{});
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    thread_ = std::thread([this] { (void)server_->Run(); });
    client_ = std::move(HttpClient::Create("http://127.0.0.1:" + std::to_string(*port))).value();
  }
  void TearDown() override {
    client_.reset();
    server_->Stop();
    thread_.join();
  }

  ClientResponse Get(const std::string& path) {
    auto r = client_->Send("GET", path);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ClientResponse{};
  }

  TempDir dir_;
  fs::path web_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(StaticRoutesTest, ServesIndexWithSecurityHeaders) {
  for (const std::string path : {"/", "/index.html"}) {
    auto r = Get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "<!doctype html><title>loupe</title>");
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_EQ(r.headers["cache-control"], "no-cache");
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
    const std::string csp = r.headers["content-security-policy"];
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("img-src 'self' blob: data:"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  }
}

TEST_F(StaticRoutesTest, HashedAssetsAreImmutableWithTheirContentType) {
  auto js = Get("/assets/index-AbC123.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(js.headers["x-content-type-options"], "nosniff");
  auto css = Get("/assets/index-AbC123.css");
  EXPECT_EQ(css.headers["content-type"], "text/css; charset=utf-8");
  auto icon = Get("/favicon.svg");
  EXPECT_EQ(icon.status, 200);
  EXPECT_EQ(icon.headers["content-type"], "image/svg+xml");
  EXPECT_EQ(Get("/assets/missing.js").status, 404);
}

TEST_F(StaticRoutesTest, ClientSideRoutesReturnIndexButApiPathsDoNot) {
  for (const std::string path : {"/review", "/models/v3", "/executions/abc-123", "/parameters"}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "<!doctype html><title>loupe</title>") << path;
  }
  EXPECT_EQ(Get("/v1/ping").status, 200);
  auto unknown_api = Get("/v1/nothing-here");
  EXPECT_EQ(unknown_api.status, 404);
  EXPECT_NE(unknown_api.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(Get("/reviewers").status, 404);  // not a console route, only a shared prefix
  EXPECT_EQ(Get("/indexXhtml").status, 404);
  EXPECT_EQ(Get("/favicon-svg").status, 404);
  EXPECT_EQ(Get("/etc/passwd").status, 404);
}

TEST_F(StaticRoutesTest, NoRequestReadsOutsideTheDirectory) {
  for (const std::string path :
       {"/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt", "/assets/link.txt",
        "/assets/.%2e/index.html", "/assets//etc/passwd", "/assets/%2fetc%2fpasswd",
        "/assets/..\\..\\secret.txt"}) {
    auto r = Get(path);
    EXPECT_NE(r.status, 200) << path;
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << path;
  }
}

TEST(ResolveStaticPath, RefusesTraversalAndOddCharacters) {
  TempDir dir;
  WriteFile(dir.path() / "web" / "assets" / "a.js", "x");
  WriteFile(dir.path() / "secret.txt", "s");
  const fs::path web = dir.path() / "web";
  EXPECT_TRUE(ResolveStaticPath(web, "assets/a.js").ok());
  for (std::string_view bad :
       {"../secret.txt", "assets/../../secret.txt", "/etc/passwd", "assets//a.js", "assets/.hidden",
        "assets/a.js\n", "assets\\a.js", "", "assets/%2e%2e"}) {
    auto r = ResolveStaticPath(web, bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_EQ(ResolveStaticPath(web, "assets/b.js").status().code(), StatusCode::kNotFound);
}

TEST(StaticRoutes, OpenApiShowsPlainPublicPaths) {
  Router router;
  AddStaticRoutes(router, "/nowhere");
  nlohmann::json paths = router.OpenApi()["paths"];
  for (const char* path : {"/", "/index.html", "/favicon.svg", "/assets/{p1}", "/review",
                           "/review/{p1}", "/models/{p1}", "/executions/{p1}"}) {
    ASSERT_TRUE(paths.contains(path)) << path << " in " << paths.dump();
    EXPECT_EQ(paths[path]["get"]["x-loupe-role"], "public") << path;
  }
  for (const auto& [path, ops] : paths.items()) {
    EXPECT_EQ(path.find("{p2}"), std::string::npos) << path;  // one capture at most
  }
}

TEST(StaticRoutes, MissingConsoleAnswers503WithAHint) {
  TempDir dir;
  Router router;
  AddStaticRoutes(router, dir.path() / "nowhere");
  HttpRequest req;
  req.method = "GET";
  req.path = "/";
  const Route& root = router.routes().front();
  HttpResponse r = root.handler(req);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("--web-dir"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace loupe::console
