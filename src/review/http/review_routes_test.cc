// Calls the review routes through the Router as the server would (method + pattern match,
// captures as path_params), with the caller's principal, role and teams set on the request
// as auth fills them in.
#include "review/http/review_routes.h"

#include <gtest/gtest.h>

#include <regex>

#include "support/foundation.h"

namespace loupe::review {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Route;
using server::Router;

struct Who {
  std::string name;
  Role role;
  std::vector<std::string> teams;
};

class ReviewRoutesTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->Put("images_for_detection/a.png", "png-bytes").ok());
    service_ = std::move(review::ReviewService::Open(*db_, clock_, *store_, *events_)).value();
    AddReviewRoutes(router_, *service_);
  }

  // Dispatches like HttpServer: the first route whose method and whole-path pattern match.
  HttpResponse Call(const std::string& method, const std::string& path, const Who& who,
                    const json& body = nullptr) {
    for (const Route& route : router_.routes()) {
      std::smatch m;
      if (route.method != method || !std::regex_match(path, m, std::regex(route.pattern))) {
        continue;
      }
      HttpRequest req;
      req.method = method;
      auto q = path.find('?');
      req.path = path.substr(0, q);
      for (size_t i = 1; i < m.size(); ++i) req.path_params.push_back(m[i].str());
      if (!body.is_null()) req.body = body.dump();
      req.principal = who.name;
      req.role = who.role;
      req.teams = who.teams;
      // Public callers only reach these routes on a server without authentication.
      if (who.role != Role::kPublic) {
        EXPECT_TRUE(RoleAllows(who.role, route.role)) << who.name << " may not call " << path;
      }
      return route.handler(req);
    }
    ADD_FAILURE() << "no route for " << method << " " << path;
    return {};
  }
  // Query strings: the server parses them into req.query; this helper does the same.
  HttpResponse Get(const std::string& path, const std::string& query_name,
                   const std::string& query_value, const Who& who) {
    for (const Route& route : router_.routes()) {
      std::smatch m;
      if (route.method != "GET" || !std::regex_match(path, m, std::regex(route.pattern))) continue;
      HttpRequest req;
      req.method = "GET";
      req.path = path;
      for (size_t i = 1; i < m.size(); ++i) req.path_params.push_back(m[i].str());
      req.query.emplace(query_name, query_value);
      req.principal = who.name;
      req.role = who.role;
      req.teams = who.teams;
      return route.handler(req);
    }
    ADD_FAILURE() << "no route for GET " << path;
    return {};
  }
  static json Body(const HttpResponse& r) { return json::parse(r.body); }
  static json LoopBody(const std::string& name, double confidence = 40, int tasks = 1,
                       const std::string& team = "default") {
    return {{"HumanLoopName", name},
            {"Image", "images_for_detection/a.png"},
            {"Choices", {"acme", "globex"}},
            {"ModelAnswer", {{"Name", "acme"}, {"Confidence", confidence}}},
            {"TaskCount", tasks},
            {"Team", team}};
  }

  std::unique_ptr<review::ReviewService> service_;
  Router router_;
  const Who op_{"olivia", Role::kOperator, {}};
  const Who ann_{"ann", Role::kReviewer, {"default"}};
  const Who bob_{"bob", Role::kReviewer, {"default"}};
  const Who red_{"rex", Role::kReviewer, {"red"}};
};

TEST_F(ReviewRoutesTest, EveryRouteDeclaresANonPublicRole) {
  ASSERT_EQ(router_.routes().size(), 14u);
  for (const Route& r : router_.routes()) {
    EXPECT_NE(r.role, Role::kPublic) << r.method << " " << r.pattern;
    EXPECT_FALSE(r.summary.empty()) << r.pattern;
  }
}

TEST_F(ReviewRoutesTest, CreateIsIdempotentAndValidated) {
  HttpResponse r = Call("POST", "/v1/human-loops", op_, LoopBody("loop-1"));
  ASSERT_EQ(r.status, 201) << r.body;
  json loop = Body(r);
  EXPECT_EQ(loop["HumanLoopName"], "loop-1");
  EXPECT_EQ(loop["HumanLoopStatus"], "InProgress");
  EXPECT_EQ(loop["TaskCount"], 1);
  EXPECT_EQ(loop["Team"], "default");
  EXPECT_EQ(loop["AvailabilityLifetimeSeconds"], 864000);
  EXPECT_EQ(loop["TaskTimeLimitSeconds"], 3600);
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1")).status, 200);
  HttpResponse conflict = Call("POST", "/v1/human-loops", op_, LoopBody("loop-1", 41));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Body(conflict)["error"]["code"], "AlreadyExists");
  json missing = LoopBody("loop-2");
  missing["Image"] = "images_for_detection/none.png";
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, missing).status, 404);
  json bad = LoopBody("loop-2");
  bad["Choices"] = {"a/b"};
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, bad).status, 400);
  bad = LoopBody("loop-2");
  bad["TaskCount"] = 6;
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, bad).status, 400);
  bad = LoopBody("loop-2");
  bad["AvailabilityLifetimeSeconds"] = 864001;
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, bad).status, 400);
  bad = LoopBody("loop-2");
  bad.erase("ModelAnswer");
  EXPECT_EQ(Call("POST", "/v1/human-loops", op_, bad).status, 400);
}

TEST_F(ReviewRoutesTest, ReviewerClaimsAnswersAndTheLoopCompletes) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1", 40, 2)).status, 201);
  HttpResponse next = Call("POST", "/v1/tasks/next", ann_);
  ASSERT_EQ(next.status, 200) << next.body;
  json task = Body(next);
  EXPECT_EQ(task["HumanLoopName"], "loop-1");
  EXPECT_EQ(task["Image"], "images_for_detection/a.png");
  EXPECT_EQ(task["Choices"], json({"acme", "globex"}));
  EXPECT_EQ(task["ModelAnswer"], json({{"Name", "acme"}, {"Confidence", 40.0}}));
  EXPECT_TRUE(ParseRfc3339(task["ExpiresAt"].get<std::string>()).ok());
  const std::string id = task["TaskId"];
  EXPECT_EQ(Call("POST", "/v1/tasks/next", ann_).status, 204);

  HttpResponse image = Call("GET", "/v1/human-loops/loop-1/image", ann_);
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.body, "png-bytes");
  EXPECT_EQ(image.content_type, "image/png");
  EXPECT_EQ(Call("GET", "/v1/images/images_for_detection/a.png", ann_).body, "png-bytes");

  HttpResponse wrong = Call("POST", "/v1/tasks/" + id + "/answer", bob_, {{"Label", "acme"}});
  EXPECT_EQ(wrong.status, 409);
  EXPECT_EQ(Body(wrong)["error"]["code"], "FailedPrecondition");
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/answer", ann_, {{"Label", 3}}).status, 400);
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/answer", ann_, {{"Label", "initech"}}).status, 400);
  HttpResponse answered = Call("POST", "/v1/tasks/" + id + "/answer", ann_, {{"Label", "acme"}});
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(Body(answered)["HumanLoopStatus"], "InProgress");

  json stats = Body(Call("GET", "/v1/tasks/stats", ann_));
  EXPECT_EQ(stats, json({{"QueueLength", 0}, {"DoneToday", 1}, {"DoneTotal", 1}}));
  EXPECT_EQ(Body(Call("GET", "/v1/tasks/stats", bob_))["QueueLength"], 1);

  json second = Body(Call("POST", "/v1/tasks/next", bob_));
  HttpResponse done = Call("POST", "/v1/tasks/" + second["TaskId"].get<std::string>() + "/answer",
                           bob_, {{"Label", "acme"}});
  EXPECT_EQ(Body(done)["HumanLoopStatus"], "Completed");

  json loop = Body(Call("GET", "/v1/human-loops/loop-1", op_));
  EXPECT_EQ(loop["ConsolidatedLabel"], "acme");
  EXPECT_EQ(loop["HumanLoopOutput"]["OutputS3Uri"], "human_loops/loop-1/output.json");
  ASSERT_EQ(loop["Answers"].size(), 2u);
  EXPECT_FALSE(Body(Call("GET", "/v1/human-loops/loop-1", ann_)).contains("Answers"));
  json completed = Body(Get("/v1/human-loops", "status", "Completed", ann_));
  EXPECT_EQ(completed["HumanLoopSummaries"].size(), 1u);
  EXPECT_EQ(Body(Get("/v1/human-loops", "status", "InProgress", ann_))["HumanLoopSummaries"].size(),
            0u);
  EXPECT_EQ(Get("/v1/human-loops", "status", "Done", ann_).status, 400);

  ASSERT_TRUE(service_->FileAnswer("loop-1").ok());
  json filings = Body(Get("/v1/review/filings", "limit", "10", op_));
  ASSERT_EQ(filings["Filings"].size(), 1u);
  EXPECT_EQ(filings["Filings"][0]["Key"], "images_labeled_by_folder/acme/loop-1-a.png");
  EXPECT_EQ(filings["Filings"][0]["Workers"], json({"ann", "bob"}));
  EXPECT_EQ(Get("/v1/review/filings", "limit", "0", op_).status, 400);
}

TEST_F(ReviewRoutesTest, AnExpiredLeaseIsGone) {
  json body = LoopBody("loop-1");
  body["TaskTimeLimitSeconds"] = 60;
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, body).status, 201);
  std::string id = Body(Call("POST", "/v1/tasks/next", ann_))["TaskId"];
  clock_.Advance(std::chrono::seconds(61));
  HttpResponse late = Call("POST", "/v1/tasks/" + id + "/answer", ann_, {{"Label", "acme"}});
  EXPECT_EQ(late.status, 410);
  EXPECT_EQ(Body(late)["error"]["code"], "DeadlineExceeded");
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/release", ann_).status, 410);
  EXPECT_EQ(Body(Call("POST", "/v1/tasks/next", bob_))["TaskId"], id);
}

TEST_F(ReviewRoutesTest, ReleaseGivesTheTaskToSomeoneElse) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1")).status, 201);
  std::string id = Body(Call("POST", "/v1/tasks/next", ann_))["TaskId"];
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/release", bob_).status, 409);
  HttpResponse released = Call("POST", "/v1/tasks/" + id + "/release", ann_);
  EXPECT_EQ(released.status, 200);
  EXPECT_EQ(Body(released), json({{"TaskId", id}, {"Released", true}}));
  EXPECT_EQ(Body(Call("POST", "/v1/tasks/next", bob_))["TaskId"], id);
}

TEST_F(ReviewRoutesTest, OtherTeamsSeeNothing) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1")).status, 201);
  EXPECT_EQ(Call("POST", "/v1/tasks/next", red_).status, 204);
  EXPECT_EQ(Call("GET", "/v1/human-loops/loop-1", red_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/human-loops/loop-1/image", red_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/images/images_for_detection/a.png", red_).status, 404);
  EXPECT_EQ(Body(Call("GET", "/v1/human-loops", red_))["HumanLoopSummaries"].size(), 0u);
  EXPECT_EQ(Body(Call("GET", "/v1/tasks/stats", red_))["QueueLength"], 0);
  std::string id = Body(Call("POST", "/v1/tasks/next", ann_))["TaskId"];
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/answer", red_, {{"Label", "acme"}}).status, 404);
}

TEST_F(ReviewRoutesTest, WithoutAuthenticationReviewIsOpen) {
  // Before auth is configured every request is "anonymous" with the public role; review
  // must then work like every other route (the loop end-to-end test relies on it).
  const Who anonymous{"anonymous", Role::kPublic, {}};
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1", 40, 1, "red")).status, 201);
  HttpResponse next = Call("POST", "/v1/tasks/next", anonymous);
  ASSERT_EQ(next.status, 200) << next.body;
  std::string id = Body(next)["TaskId"];
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/answer", anonymous, {{"Label", "acme"}}).status,
            200);
  EXPECT_EQ(Body(Call("GET", "/v1/human-loops", anonymous))["HumanLoopSummaries"].size(), 1u);
}

TEST_F(ReviewRoutesTest, TieEscalatesAndAnOperatorResolves) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1", 40, 2)).status, 201);
  std::string a = Body(Call("POST", "/v1/tasks/next", ann_))["TaskId"];
  std::string b = Body(Call("POST", "/v1/tasks/next", bob_))["TaskId"];
  ASSERT_EQ(Call("POST", "/v1/tasks/" + a + "/answer", ann_, {{"Label", "acme"}}).status, 200);
  HttpResponse tie = Call("POST", "/v1/tasks/" + b + "/answer", bob_, {{"Label", nullptr}});
  EXPECT_EQ(Body(tie)["HumanLoopStatus"], "Escalated");
  EXPECT_EQ(Call("POST", "/v1/human-loops/loop-1/resolve", op_, {{"Label", "_x"}}).status, 400);
  HttpResponse resolved = Call("POST", "/v1/human-loops/loop-1/resolve", op_, {{"Label", nullptr}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(Body(resolved)["HumanLoopStatus"], "Completed");
  EXPECT_EQ(Body(resolved)["ConsolidatedLabel"], nullptr);
  EXPECT_EQ(Body(resolved)["DecidedBy"], "olivia");
  EXPECT_EQ(Call("POST", "/v1/human-loops/loop-1/resolve", op_, {{"Label", "acme"}}).status, 409);
  EXPECT_EQ(Call("POST", "/v1/human-loops/loop-1/stop", op_).status, 409);
}

TEST_F(ReviewRoutesTest, NewLabelsFollowTheSetting) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1")).status, 201);
  EXPECT_EQ(Body(Call("GET", "/v1/review/settings", ann_)), json({{"AllowNewLabels", false}}));
  std::string id = Body(Call("POST", "/v1/tasks/next", ann_))["TaskId"];
  json proposal = {{"Label", "initech"}, {"NewLabel", true}};
  HttpResponse refused = Call("POST", "/v1/tasks/" + id + "/answer", ann_, proposal);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Call("PUT", "/v1/review/settings", op_, {{"AllowNewLabels", "yes"}}).status, 400);
  EXPECT_EQ(Call("PUT", "/v1/review/settings", op_, {{"AllowNewLabels", true}}).status, 200);
  EXPECT_EQ(Call("POST", "/v1/tasks/" + id + "/answer", ann_, proposal).status, 200);
  EXPECT_EQ(Body(Call("GET", "/v1/human-loops/loop-1", op_))["ConsolidatedLabel"], "initech");
}

TEST_F(ReviewRoutesTest, StopWithdrawsTheLoop) {
  ASSERT_EQ(Call("POST", "/v1/human-loops", op_, LoopBody("loop-1")).status, 201);
  HttpResponse stopped = Call("POST", "/v1/human-loops/loop-1/stop", op_);
  EXPECT_EQ(Body(stopped)["HumanLoopStatus"], "Stopped");
  EXPECT_EQ(Call("POST", "/v1/tasks/next", ann_).status, 204);
  EXPECT_EQ(Call("POST", "/v1/human-loops/nope/stop", op_).status, 404);
}

}  // namespace
}  // namespace loupe::review
