#include "params/cli/param_commands.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::params {
namespace {

using cli::Api;
using cli::ClientOptions;
using cli::PrintJson;
using nlohmann::json;

std::string ValueText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void PrintParamTable(const json& params) {
  std::printf("%-36s %-10s %8s  %-24s %s\n", "NAME", "VALUE", "VERSION", "UPDATED", "BY");
  for (const json& p : params) {
    std::printf("%-36s %-10s %8lld  %-24s %s\n", p["name"].get<std::string>().c_str(),
                ValueText(p["value"]).c_str(), static_cast<long long>(p["version"].get<int64_t>()),
                p["updated_at"].get<std::string>().c_str(),
                p["updated_by"].get<std::string>().c_str());
  }
}

void AddParams(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* params = app.add_subcommand("params", "Read and change run-time parameters");
  params->require_subcommand(1);

  auto* list = params->add_subcommand("list", "List every parameter with its current value");
  list->callback([&options, exit_code] {
    Api api(options);
    auto r = api.CallJson("GET", "/v1/parameters");
    if (!r) return void(*exit_code = 1);
    options.json ? PrintJson(*r) : PrintParamTable((*r)["parameters"]);
  });

  auto name = std::make_shared<std::string>();
  auto* get = params->add_subcommand("get", "Show one parameter");
  get->add_option("name", *name, "Parameter name, e.g. Minimum-F1-Score")->required();
  get->callback([&options, exit_code, name] {
    Api api(options);
    auto r = api.CallJson("GET", "/v1/parameters/" + server::EncodePath(*name));
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::cout << ValueText((*r)["value"]) << "\n";
  });

  auto value = std::make_shared<std::string>();
  auto* set = params->add_subcommand("set", "Change a parameter (validated by the server)");
  set->add_option("name", *name, "Parameter name")->required();
  set->add_option("value", *value, "New value: true/false or a number")->required();
  set->callback([&options, exit_code, name, value] {
    Api api(options);
    json body = json::object();
    body["value"] = json::parse(ParameterValueJson(*value));
    auto r = api.CallJson("PUT", "/v1/parameters/" + server::EncodePath(*name), body.dump());
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::cout << (*r)["name"].get<std::string>() << " = " << ValueText((*r)["value"])
              << " (version " << (*r)["version"] << ")\n";
  });

  auto* history = params->add_subcommand("history", "Every version of a parameter, newest first");
  history->add_option("name", *name, "Parameter name")->required();
  history->callback([&options, exit_code, name] {
    Api api(options);
    auto r = api.CallJson("GET", "/v1/parameters/" + server::EncodePath(*name) + "/history");
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::printf("%8s  %-12s %-12s %-24s %s\n", "VERSION", "OLD", "NEW", "UPDATED", "BY");
    for (const json& v : (*r)["versions"]) {
      std::printf("%8lld  %-12s %-12s %-24s %s\n",
                  static_cast<long long>(v["version"].get<int64_t>()),
                  v["old_value"].is_null() ? "-" : ValueText(v["old_value"]).c_str(),
                  ValueText(v["value"]).c_str(), v["updated_at"].get<std::string>().c_str(),
                  v["updated_by"].get<std::string>().c_str());
    }
  });
}

}  // namespace

std::string ParameterValueJson(const std::string& text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && !parsed.is_string()) return parsed.dump();
  return json(text).dump();
}

void RegisterParamCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddParams(app, options, exit_code);
}

}  // namespace loupe::params
