#include "models/cli/model_commands.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "cli/api.h"
#include "core/file.h"
#include "server/http_client.h"

namespace loupe::models {
namespace {

namespace fs = std::filesystem;
using cli::Api;
using cli::ClientOptions;
using cli::PrintJson;
using nlohmann::json;

// Loading a model can take a while; control calls wait this long for their answer.
constexpr int kControlTimeoutSeconds = 600;

// Listing answers quickly; a stuck server should not hang the CLI.
constexpr int kQueryTimeoutSeconds = 60;

void PrintVersionTable(const json& versions, const json& production) {
  std::printf("%-16s %-20s %5s %6s  %-24s %s\n", "VERSION", "STATUS", "UNITS", "F1", "UPDATED",
              "MESSAGE");
  for (const json& v : versions) {
    std::string name = v["version"].get<std::string>();
    if (production.is_string() && production == name) name += "*";
    std::string units =
        v["serving"].is_object() ? std::to_string(v["serving"]["units"].get<int>()) : "-";
    std::string f1 = "-";
    if (v["summary"].contains("metrics") && v["summary"]["metrics"].contains("macro_f1")) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%.3f", v["summary"]["metrics"]["macro_f1"].get<double>());
      f1 = buf;
    }
    std::printf("%-16s %-20s %5s %6s  %-24s %s\n", name.c_str(),
                v["status"].get<std::string>().c_str(), units.c_str(), f1.c_str(),
                v["updated_at"].get<std::string>().c_str(),
                v["status_message"].get<std::string>().c_str());
  }
}

void PrintVersion(const ClientOptions& options, const json& v) {
  if (options.json) return PrintJson(v);
  std::cout << v["version"].get<std::string>() << " " << v["status"].get<std::string>();
  if (!v["status_message"].get<std::string>().empty()) {
    std::cout << " (" << v["status_message"].get<std::string>() << ")";
  }
  std::cout << "\n";
}

// A fresh staging prefix for an artifact upload.
std::string StagingPrefix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08x%08x", rd(), rd());
  return std::string("uploads/models/") + buf + "/";
}

void AddModels(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* models = app.add_subcommand("models", "Model versions: list, import, start, deploy, ...");
  models->require_subcommand(1);

  auto* ls = models->add_subcommand("ls", "List model versions (* = production)");
  ls->alias("list");
  ls->callback([&options, exit_code] {
    Api api(options, kQueryTimeoutSeconds);
    auto r = api.CallJson("GET", "/v1/models");
    if (!r) return void(*exit_code = 1);
    options.json ? PrintJson(*r) : PrintVersionTable((*r)["versions"], (*r)["production"]);
  });

  auto version = std::make_shared<std::string>();
  auto* describe = models->add_subcommand("describe", "One version with its history");
  describe->add_option("version", *version, "Version name, e.g. v3")->required();
  describe->callback([&options, exit_code, version] {
    Api api(options, kQueryTimeoutSeconds);
    auto r = api.CallJson("GET", "/v1/models/" + server::EncodePath(*version));
    if (!r) return void(*exit_code = 1);
    PrintJson(*r);
  });

  auto dir = std::make_shared<std::string>();
  auto* import_cmd = models->add_subcommand(
      "import", "Register an artifact made by `loupe train --out DIR` as a new version");
  import_cmd->add_option("artifact", *dir, "Artifact directory (holds model.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  import_cmd->add_option("--version", *version, "Version name (default: the next v<N>)");
  import_cmd->callback([&options, exit_code, dir, version] {
    if (!fs::exists(fs::path(*dir) / "model.json")) {
      Api::PrintError(*dir + " is not a model artifact (no model.json)");
      return void(*exit_code = 1);
    }
    Api api(options, kControlTimeoutSeconds);
    const std::string prefix = StagingPrefix();
    std::vector<std::string> uploaded;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(*dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      auto bytes = ReadFile(it->path());
      if (!bytes.ok()) {
        Api::PrintError(bytes.status().message());
        return void(*exit_code = 1);
      }
      std::string key = prefix + fs::relative(it->path(), *dir).generic_string();
      if (!api.Call("PUT", "/v1/objects/" + server::EncodePath(key), *bytes,
                    "application/octet-stream")) {
        return void(*exit_code = 1);
      }
      uploaded.push_back(key);
    }
    json body = {{"source_prefix", prefix}};
    if (!version->empty()) body["version"] = *version;
    auto r = api.CallJson("POST", "/v1/models", body.dump());
    for (const std::string& key : uploaded) {
      (void)api.Call("DELETE", "/v1/objects/" + server::EncodePath(key));
    }
    if (!r) return void(*exit_code = 1);
    PrintVersion(options, *r);
  });

  auto control = [&options, exit_code, models](const char* name, const char* help,
                                               const char* action) {
    auto target = std::make_shared<std::string>();
    auto* cmd = models->add_subcommand(name, help);
    cmd->add_option("version", *target, "Version name")->required();
    cmd->callback([&options, exit_code, target, action] {
      Api api(options, kControlTimeoutSeconds);
      auto r =
          api.CallJson("POST", "/v1/models/" + server::EncodePath(*target) + "/" + action, "{}");
      if (!r) return void(*exit_code = 1);
      PrintVersion(options, *r);
    });
  };
  control("start", "Start a version: load, smoke-test, RUNNING", "start");
  control("stop", "Stop a version after its in-flight requests", "stop");
  control("deploy", "Blue/green switch of production to a version", "deploy");

  auto target = std::make_shared<std::string>();
  auto* rollback = models->add_subcommand(
      "rollback", "Switch production back to VERSION (default: the previous production)");
  rollback->add_option("version", *target, "Version name");
  rollback->callback([&options, exit_code, target] {
    Api api(options, kControlTimeoutSeconds);
    json body = json::object();
    if (!target->empty()) body["version"] = *target;
    auto r = api.CallJson("POST", "/v1/endpoints/production/rollback", body.dump());
    if (!r) return void(*exit_code = 1);
    PrintVersion(options, *r);
  });
}

}  // namespace

void RegisterModelCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddModels(app, options, exit_code);
}

}  // namespace loupe::models
