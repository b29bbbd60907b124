// Human review on the real binary: an operator starts a loop over HTTP, a reviewer claims and
// answers it, the completion's HumanLoopCompleted event runs the shipped human-answer workflow
// which files the image exactly once; `loupe loops ls|show` show it; a SIGKILL and restart
// change nothing. Runs as the admin (ServerProcess's bootstrap token), which sees every team.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/temp_dir.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::RunCli;
using testing::ServerProcess;
using testing::WaitFor;

json Send(server::HttpClient& c, const std::string& method, const std::string& path,
          const json& body, int want) {
  auto r = c.Send(method, path, body.is_null() ? "" : body.dump());
  EXPECT_TRUE(r.ok()) << path;
  if (!r.ok()) return json();
  EXPECT_EQ(r->status, want) << method << " " << path << ": " << r->body;
  return r->body.empty() ? json() : json::parse(r->body, nullptr, false);
}

TEST(ReviewE2E, LoopIsAnsweredCompletedAndFiledOnceAcrossARestart) {
  TempDir dir;
  std::string data = (dir.path() / "data").string();
  ServerProcess server(data);
  ASSERT_TRUE(server.Start().ok());
  auto c = server.Client();
  auto put = c->Send("PUT", "/v1/objects/uploads/a.png", "not-really-a-png", "image/png");
  ASSERT_TRUE(put.ok() && put->status == 200);

  json loop = {{"HumanLoopName", "e2e-1"},
               {"Image", "uploads/a.png"},
               {"Choices", {"acme", "globex"}},
               {"ModelAnswer", {{"Name", "globex"}, {"Confidence", 31.5}}}};
  Send(*c, "POST", "/v1/human-loops", loop, 201);
  Send(*c, "POST", "/v1/human-loops", loop, 200);
  loop["TaskCount"] = 2;
  Send(*c, "POST", "/v1/human-loops", loop, 409);

  auto ls = RunCli(server.url(), {"loops", "ls", "--status", "InProgress"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("e2e-1"), std::string::npos) << ls.out;

  json task = Send(*c, "POST", "/v1/tasks/next", json::object(), 200);
  ASSERT_EQ(task["HumanLoopName"], "e2e-1");
  auto image = c->Send("GET", "/v1/images/uploads/a.png");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->body, "not-really-a-png");
  Send(*c, "POST", "/v1/tasks/next", json::object(), 204);
  json answered = Send(*c, "POST", "/v1/tasks/" + task["TaskId"].get<std::string>() + "/answer",
                       {{"Label", "acme"}}, 200);
  EXPECT_EQ(answered["HumanLoopStatus"], "Completed");

  // The shipped human-answer workflow files it.
  const std::string key = "images_labeled_by_folder/acme/e2e-1-a.png";
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = c->Send("GET", "/v1/review/filings?limit=10");
        return r.ok() && r->status == 200 && json::parse(r->body)["Filings"].size() == 1;
      },
      seconds(60)));
  auto obj = c->Send("GET", "/v1/objects/" + key);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->status, 200);
  auto output = c->Send("GET", "/v1/objects/human_loops/e2e-1/output.json");
  ASSERT_TRUE(output.ok() && output->status == 200);
  EXPECT_EQ(json::parse(output->body)["humanAnswers"][0]["answerContent"]["Label"], "acme");

  server.Kill();
  ServerProcess again(data);
  ASSERT_TRUE(again.Start().ok());
  auto c2 = again.Client();
  json filings = Send(*c2, "GET", "/v1/review/filings", nullptr, 200);
  ASSERT_EQ(filings["Filings"].size(), 1u);
  EXPECT_EQ(filings["Filings"][0]["Key"], key);
  json objects = Send(*c2, "GET", "/v1/objects?prefix=images_labeled_by_folder/", nullptr, 200);
  EXPECT_EQ(objects["objects"].size(), 1u) << objects.dump();
  json completed = Send(*c2, "GET", "/v1/events?kind=HumanLoopCompleted", nullptr, 200);
  int completions = 0;
  for (const json& e : completed["events"]) completions += e["kind"] == "HumanLoopCompleted";
  EXPECT_EQ(completions, 1) << completed.dump();

  auto show = RunCli(again.url(), {"loops", "show", "e2e-1"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Completed"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("acme"), std::string::npos) << show.out;
  auto missing = RunCli(again.url(), {"loops", "show", "nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("NotFound"), std::string::npos) << missing.err;
  auto bad = RunCli(again.url(), {"loops", "ls", "--status", "Done"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(again.Stop(), 0);
}

}  // namespace
}  // namespace loupe
