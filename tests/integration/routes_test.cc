// The workflow HTTP routes, called through the route table (no socket needed).

#include <gtest/gtest.h>

#include <regex>

#include "core/temp_dir.h"
#include "db/testing.h"
#include "workflow/http/workflow_routes.h"

namespace loupe::server {
namespace {

using nlohmann::json;

class WorkflowRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = db::testing::OpenTestDatabase(dir_.path());
    engine_ = std::move(workflow::Engine::Open(*db_, clock_, nullptr)).value();
    ASSERT_TRUE(engine_
                    ->LoadDefinition("demo", R"({"Comment":"demo","StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","End":true}}})")
                    .ok());
    AddWorkflowRoutes(router_, *engine_);
  }

  // Dispatches like the HTTP server: first route whose method and pattern match.
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      size_t start = 0;
      while (start <= query.size()) {
        size_t amp = query.find('&', start);
        std::string kv = query.substr(start, amp == std::string::npos ? amp : amp - start);
        auto eq = kv.find('=');
        if (eq != std::string::npos) req.query.emplace(kv.substr(0, eq), kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    req.body = body;
    req.principal = "tester";
    for (const Route& r : router_.routes()) {
      std::smatch m;
      if (r.method == method && std::regex_match(req.path, m, std::regex(r.pattern))) {
        for (size_t i = 1; i < m.size(); ++i) req.path_params.push_back(m[i]);
        EXPECT_EQ(r.role, Role::kOperator) << r.pattern;
        return r.handler(req);
      }
    }
    return HttpResponse::Error(NotFoundError("no route"));
  }

  json Body(const HttpResponse& r) { return json::parse(r.body); }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  Router router_;
};

TEST_F(WorkflowRoutesTest, StateMachinesAreListedAndShown) {
  auto list = Call("GET", "/v1/state-machines");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Body(list)["state_machines"][0]["name"], "demo");
  EXPECT_EQ(Body(list)["state_machines"][0]["comment"], "demo");
  auto one = Call("GET", "/v1/state-machines/demo");
  EXPECT_EQ(Body(one)["definition"]["StartAt"], "W");
  EXPECT_EQ(Call("GET", "/v1/state-machines/nope").status, 404);
}

TEST_F(WorkflowRoutesTest, StartListShowHistoryStop) {
  auto started =
      Call("POST", "/v1/executions", R"({"state_machine":"demo","name":"n1","input":{"a":1}})");
  ASSERT_EQ(started.status, 201) << started.body;
  EXPECT_EQ(Body(started)["id"], "demo:n1");
  EXPECT_EQ(Body(started)["current_state"], "W");
  auto again = Call("POST", "/v1/executions", R"({"state_machine":"demo","name":"n1",
                    "input":{"a":1}})");
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(Body(again)["created"].get<bool>());
  EXPECT_EQ(Call("POST", "/v1/executions", R"({"name":"x"})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/executions", R"({"state_machine":"zz"})").status, 404);

  ASSERT_EQ(Call("POST", "/v1/executions", R"({"state_machine":"demo","name":"n2"})").status, 201);
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(engine_->RunUntilIdle().ok());

  auto running = Call("GET", "/v1/executions?state_machine=demo&status=SUCCEEDED");
  ASSERT_EQ(running.status, 200);
  EXPECT_EQ(Body(running)["executions"].size(), 2u);
  EXPECT_EQ(Call("GET", "/v1/executions?status=bogus").status, 400);
  EXPECT_EQ(Call("GET", "/v1/executions?limit=0").status, 400);

  auto show = Call("GET", "/v1/executions/demo:n1");
  EXPECT_EQ(Body(show)["status"], "SUCCEEDED");
  EXPECT_EQ(Body(show)["output"], json({{"a", 1}}));
  auto history = Call("GET", "/v1/executions/demo:n1/history");
  ASSERT_EQ(history.status, 200);
  auto events = Body(history)["events"];
  EXPECT_EQ(events.front()["type"], "ExecutionStarted");
  EXPECT_EQ(events.back()["type"], "ExecutionSucceeded");
  EXPECT_EQ(events[1]["state"], "W");
  EXPECT_EQ(Body(Call("GET", "/v1/executions/demo:n1/history?after=5"))["events"].size(),
            events.size() - 5);
  EXPECT_EQ(Call("GET", "/v1/executions/demo:none/history").status, 404);

  ASSERT_EQ(Call("POST", "/v1/executions", R"({"state_machine":"demo","name":"n3"})").status, 201);
  auto stopped = Call("POST", "/v1/executions/demo:n3/stop", R"({"cause":"test"})");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(Body(stopped)["status"], "ABORTED");
  EXPECT_EQ(Body(stopped)["error"], "Loupe.Stopped");
  EXPECT_EQ(Body(stopped)["cause"], "test");
  EXPECT_EQ(Call("POST", "/v1/executions/demo:n3/stop").status, 409);
}

}  // namespace
}  // namespace loupe::server
