#include "workflow/cli/workflow_commands.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/api.h"
#include "core/file.h"
#include "server/http_client.h"

namespace loupe::workflow {
namespace {

using cli::Api;
using cli::CallAndPrint;
using cli::ClientOptions;
using cli::PrintJson;
using cli::Text;
using nlohmann::json;

std::string Shorten(std::string s, size_t max) {
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

void PrintExecution(const json& e) {
  std::printf("id:            %s\n", Text(e["id"]).c_str());
  std::printf("state machine: %s (revision %s)\n", Text(e["state_machine"]).c_str(),
              Text(e["revision"]).c_str());
  std::printf("status:        %s\n", Text(e["status"]).c_str());
  if (!e["current_state"].is_null()) {
    std::printf("current state: %s\n", Text(e["current_state"]).c_str());
  }
  std::printf("started:       %s\n", Text(e["start_time"]).c_str());
  std::printf("stopped:       %s\n", Text(e["stop_time"]).c_str());
  std::printf("input:         %s\n", e["input"].dump().c_str());
  if (!e["output"].is_null()) std::printf("output:        %s\n", e["output"].dump().c_str());
  if (!e["error"].is_null()) {
    std::printf("error:         %s: %s\n", Text(e["error"]).c_str(), Text(e["cause"]).c_str());
  }
}

// One line of detail per history event: what a reader needs to follow the run.
std::string EventSummary(const json& ev) {
  const json& d = ev["details"];
  std::string type = Text(ev["type"]);
  if (d.contains("error")) return Text(d["error"]) + ": " + Text(d.value("cause", json()));
  if (type.ends_with("Entered") && d.contains("input")) return "input " + d["input"].dump();
  if (type.ends_with("Exited") && d.contains("output")) return "output " + d["output"].dump();
  if (type == "TaskScheduled") {
    std::string s = Text(d["resource"]);
    if (d.contains("retry_at_ms")) s += " (retry, attempt " + Text(d["attempt"]) + ")";
    return s;
  }
  if (type == "TaskStarted") return Text(d["resource"]);
  if (type == "TaskSucceeded") return "output " + d["output"].dump();
  if (d.contains("output")) return "output " + d["output"].dump();
  if (d.contains("input")) return "input " + d["input"].dump();
  return "";
}

void AddExecutions(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* ex = app.add_subcommand("executions", "Workflow executions: list, inspect, start, stop");
  ex->require_subcommand(1);
  struct Args {
    std::string state_machine, status, id, name, input = "{}", input_file, error, cause;
    int limit = 50;
  };
  auto args = std::make_shared<Args>();

  auto* ls = ex->add_subcommand("ls", "List executions, newest first");
  ls->add_option("--state-machine", args->state_machine, "Only this state machine");
  ls->add_option("--status", args->status, "RUNNING|SUCCEEDED|FAILED|ABORTED");
  ls->add_option("--limit", args->limit, "At most this many (1..1000)")->capture_default_str();
  ls->callback([&options, exit_code, args] {
    std::string path = "/v1/executions?limit=" + std::to_string(args->limit);
    if (!args->state_machine.empty()) {
      path += "&state_machine=" + server::EncodeQuery(args->state_machine);
    }
    if (!args->status.empty()) path += "&status=" + server::EncodeQuery(args->status);
    CallAndPrint(options, exit_code, "GET", path, "", [](json r) {
      std::printf("%-48s %-10s %-24s %-24s %s\n", "ID", "STATUS", "STARTED", "STATE", "ERROR");
      for (const json& e : r["executions"]) {
        std::printf("%-48s %-10s %-24s %-24s %s\n", Text(e["id"]).c_str(),
                    Text(e["status"]).c_str(), Text(e["start_time"]).c_str(),
                    Text(e["current_state"]).c_str(), Text(e["error"]).c_str());
      }
    });
  });

  auto* show = ex->add_subcommand("show", "Show one execution");
  show->add_option("id", args->id, "Execution id, <state machine>:<name>")->required();
  show->callback([&options, exit_code, args] {
    CallAndPrint(options, exit_code, "GET", "/v1/executions/" + server::EncodePath(args->id), "",
                 PrintExecution);
  });

  auto* history = ex->add_subcommand("history", "An execution's history, oldest first");
  history->add_option("id", args->id, "Execution id")->required();
  history->callback([&options, exit_code, args] {
    CallAndPrint(
        options, exit_code, "GET",
        "/v1/executions/" + server::EncodePath(args->id) + "/history?limit=10000", "", [](json r) {
          std::printf("%4s  %-24s %-20s %-20s %s\n", "ID", "TIME", "TYPE", "STATE", "DETAIL");
          for (const json& ev : r["events"]) {
            std::printf("%4s  %-24s %-20s %-20s %s\n", Text(ev["id"]).c_str(),
                        Text(ev["time"]).c_str(), Text(ev["type"]).c_str(),
                        Text(ev["state"]).c_str(), Shorten(EventSummary(ev), 100).c_str());
          }
        });
  });

  auto* start = ex->add_subcommand("start", "Start an execution (idempotent by --name)");
  start->add_option("state_machine", args->state_machine, "State machine name")->required();
  start->add_option("--name", args->name, "Execution name (default: random)");
  start->add_option("--input", args->input, "Input JSON object")->capture_default_str();
  start->add_option("--input-file", args->input_file, "Read the input JSON from a file")
      ->check(CLI::ExistingFile);
  start->callback([&options, exit_code, args] {
    std::string text = args->input;
    if (!args->input_file.empty()) {
      auto file = ReadFile(args->input_file);
      if (!file.ok()) {
        std::fprintf(stderr, "error: %s\n", file.status().ToString().c_str());
        return void(*exit_code = 1);
      }
      text = std::move(file).value();
    }
    json input = json::parse(text, nullptr, false);
    if (input.is_discarded() || !input.is_object()) {
      std::fprintf(stderr, "error: InvalidArgument: --input must be a JSON object\n");
      return void(*exit_code = 1);
    }
    json body = {{"state_machine", args->state_machine}, {"input", input}};
    if (!args->name.empty()) body["name"] = args->name;
    CallAndPrint(options, exit_code, "POST", "/v1/executions", body.dump(), [](json r) {
      std::printf("%s %s%s\n", Text(r["id"]).c_str(), Text(r["status"]).c_str(),
                  r.value("created", true) ? "" : " (already existed)");
    });
  });

  auto* stop = ex->add_subcommand("stop", "Abort a running execution");
  stop->add_option("id", args->id, "Execution id")->required();
  stop->add_option("--error", args->error, "Error name recorded (default Loupe.Stopped)");
  stop->add_option("--cause", args->cause, "Cause recorded");
  stop->callback([&options, exit_code, args] {
    json body = json::object();
    if (!args->error.empty()) body["error"] = args->error;
    if (!args->cause.empty()) body["cause"] = args->cause;
    CallAndPrint(
        options, exit_code, "POST", "/v1/executions/" + server::EncodePath(args->id) + "/stop",
        body.dump(),
        [](json r) { std::printf("%s %s\n", Text(r["id"]).c_str(), Text(r["status"]).c_str()); });
  });
}

void AddStateMachines(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* sm = app.add_subcommand("state-machines", "The workflows shipped with loupe");
  sm->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto* ls = sm->add_subcommand("ls", "List state machines");
  ls->callback([&options, exit_code] {
    CallAndPrint(options, exit_code, "GET", "/v1/state-machines", "", [](json r) {
      std::printf("%-32s %8s  %-24s %s\n", "NAME", "REVISION", "CREATED", "COMMENT");
      for (const json& m : r["state_machines"]) {
        std::printf("%-32s %8s  %-24s %s\n", Text(m["name"]).c_str(), Text(m["revision"]).c_str(),
                    Text(m["created"]).c_str(), Text(m.value("comment", json(""))).c_str());
      }
    });
  });
  auto* show = sm->add_subcommand("show", "Print a state machine's definition (JSON)");
  show->add_option("name", *name, "State machine name")->required();
  show->callback([&options, exit_code, name] {
    auto r = Api(options).CallJson("GET", "/v1/state-machines/" + server::EncodePath(*name));
    if (!r) return void(*exit_code = 1);
    PrintJson(options.json ? *r : (*r)["definition"]);
  });
}

}  // namespace

void RegisterWorkflowCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddExecutions(app, options, exit_code);
  AddStateMachines(app, options, exit_code);
}

}  // namespace loupe::workflow
