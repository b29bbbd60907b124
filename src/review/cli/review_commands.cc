#include "review/cli/review_commands.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::review {
namespace {

using cli::CallAndPrint;
using cli::ClientOptions;
using cli::Text;
using nlohmann::json;

void PrintLoop(const json& l) {
  std::printf("name:        %s\n", Text(l["HumanLoopName"]).c_str());
  std::printf("status:      %s\n", Text(l["HumanLoopStatus"]).c_str());
  std::printf("team:        %s\n", Text(l["Team"]).c_str());
  std::printf("image:       %s\n", Text(l["Image"]).c_str());
  std::printf("choices:     %s\n", l["Choices"].dump().c_str());
  std::printf("model:       %s (%s)\n", Text(l["ModelAnswer"]["Name"]).c_str(),
              Text(l["ModelAnswer"]["Confidence"]).c_str());
  std::printf("answers:     %s of %s\n", Text(l["AnswersReceived"]).c_str(),
              Text(l["TaskCount"]).c_str());
  std::printf("created:     %s\n", Text(l["CreationTime"]).c_str());
  std::printf("expires:     %s\n", Text(l["ExpiresAt"]).c_str());
  std::printf("completed:   %s\n", Text(l["CompletionTime"]).c_str());
  if (l["HumanLoopStatus"] == "Completed") {
    std::printf(
        "label:       %s (decided by %s)\n",
        l["ConsolidatedLabel"].is_null() ? "none of these" : Text(l["ConsolidatedLabel"]).c_str(),
        Text(l["DecidedBy"]).c_str());
    std::printf("output:      %s\n", Text(l["HumanLoopOutput"]["OutputS3Uri"]).c_str());
  }
  if (l.contains("Answers")) {
    for (const json& a : l["Answers"]) {
      std::printf("  %-20s %-24s %s%s\n", Text(a["WorkerId"]).c_str(),
                  Text(a["SubmissionTime"]).c_str(),
                  a["Label"].is_null() ? "(none of these)" : Text(a["Label"]).c_str(),
                  a.value("NewLabel", false) ? " (new label)" : "");
    }
  }
}

}  // namespace

void RegisterReviewCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  auto* loops = app.add_subcommand("loops", "Human review loops: list, inspect");
  loops->require_subcommand(1);
  struct Args {
    std::string status, name;
    int limit = 100;
  };
  auto args = std::make_shared<Args>();

  auto* ls = loops->add_subcommand("ls", "List human loops, newest first");
  ls->add_option("--status", args->status, "InProgress|Completed|Escalated|Stopped|Expired")
      ->check(CLI::IsMember({"InProgress", "Completed", "Escalated", "Stopped", "Expired"}));
  ls->add_option("--limit", args->limit, "At most this many (1..1000)")->capture_default_str();
  ls->callback([&options, exit_code, args] {
    std::string path = "/v1/human-loops?limit=" + std::to_string(args->limit);
    if (!args->status.empty()) path += "&status=" + server::EncodeQuery(args->status);
    CallAndPrint(options, exit_code, "GET", path, "", [](json r) {
      std::printf("%-40s %-10s %-12s %6s %7s  %-24s %s\n", "NAME", "STATUS", "TEAM", "CONF",
                  "ANSWERS", "CREATED", "LABEL");
      for (const json& l : r["HumanLoopSummaries"]) {
        std::string answers = Text(l["AnswersReceived"]) + "/" + Text(l["TaskCount"]);
        std::printf("%-40s %-10s %-12s %6.1f %7s  %-24s %s\n", Text(l["HumanLoopName"]).c_str(),
                    Text(l["HumanLoopStatus"]).c_str(), Text(l["Team"]).c_str(),
                    l["ModelAnswer"]["Confidence"].get<double>(), answers.c_str(),
                    Text(l["CreationTime"]).c_str(), Text(l["ConsolidatedLabel"]).c_str());
      }
    });
  });

  auto* show = loops->add_subcommand("show", "Show one human loop");
  show->add_option("name", args->name, "Human loop name")->required();
  show->callback([&options, exit_code, args] {
    CallAndPrint(options, exit_code, "GET", "/v1/human-loops/" + server::EncodePath(args->name), "",
                 PrintLoop);
  });
}

}  // namespace loupe::review
