#include "events/cli/event_commands.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::events {
namespace {

using cli::CallAndPrint;
using cli::ClientOptions;
using nlohmann::json;

void AddEvents(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* events = app.add_subcommand("events", "Read the durable event log");
  events->require_subcommand(1);
  struct Args {
    int64_t after = 0;
    int limit = 100;
    std::string kind;
  };
  auto args = std::make_shared<Args>();
  auto* ls = events->add_subcommand("ls", "List events after an id");
  ls->add_option("--after", args->after, "Only events with a larger id")->capture_default_str();
  ls->add_option("--limit", args->limit, "At most this many (1..1000)")->capture_default_str();
  ls->add_option("--kind", args->kind,
                 "ObjectCreated|ParameterChanged|TrainingPollDue|"
                 "HumanLoopCompleted");
  ls->callback([&options, exit_code, args] {
    std::string path =
        "/v1/events?after=" + std::to_string(args->after) + "&limit=" + std::to_string(args->limit);
    if (!args->kind.empty()) path += "&kind=" + server::EncodeQuery(args->kind);
    CallAndPrint(options, exit_code, "GET", path, "", [](json r) {
      for (const json& e : r["events"]) {
        std::printf("%8lld  %s  %-20s %s\n", static_cast<long long>(e["id"].get<int64_t>()),
                    e["time"].get<std::string>().c_str(), e["kind"].get<std::string>().c_str(),
                    e["payload"].dump().c_str());
      }
    });
  });
}

}  // namespace

void RegisterEventCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddEvents(app, options, exit_code);
}

}  // namespace loupe::events
