#include "cli/client_commands.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::cli {
namespace {

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

void AddObjects(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* objects = app.add_subcommand("objects", "Store, read, list and delete objects");
  objects->require_subcommand(1);
  auto key = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();

  auto* put = objects->add_subcommand("put", "Upload a file as an object");
  put->add_option("file", *file, "Local file")->required()->check(CLI::ExistingFile);
  put->add_option("key", *key, "Object key, e.g. images_for_detection/a.jpg")->required();
  put->callback([&options, exit_code, key, file] {
    auto bytes = ReadFile(*file);
    if (!bytes) {
      Api::PrintError("cannot read " + *file);
      return void(*exit_code = 1);
    }
    Api api(options);
    auto r = api.Call("PUT", "/v1/objects/" + server::EncodePath(*key), *bytes,
                      "application/octet-stream");
    if (!r) return void(*exit_code = 1);
    json info = json::parse(r->body);
    if (options.json) return PrintJson(info);
    std::cout << info["key"].get<std::string>() << " " << info["size"] << " bytes sha256 "
              << info["sha256"].get<std::string>() << "\n";
  });

  auto* get = objects->add_subcommand("get", "Download an object");
  get->add_option("key", *key, "Object key")->required();
  get->add_option("-o,--output", *file, "Write to this file instead of stdout");
  get->callback([&options, exit_code, key, file] {
    Api api(options);
    auto r = api.Call("GET", "/v1/objects/" + server::EncodePath(*key));
    if (!r) return void(*exit_code = 1);
    if (file->empty()) {
      std::cout.write(r->body.data(), static_cast<std::streamsize>(r->body.size()));
      return;
    }
    std::ofstream out(*file, std::ios::binary);
    out.write(r->body.data(), static_cast<std::streamsize>(r->body.size()));
    if (!out) {
      Api::PrintError("cannot write " + *file);
      *exit_code = 1;
    }
  });

  auto prefix = std::make_shared<std::string>();
  auto* ls = objects->add_subcommand("ls", "List objects under a prefix (all pages)");
  ls->add_option("prefix", *prefix, "Key prefix");
  ls->callback([&options, exit_code, prefix] {
    Api api(options);
    std::string token;
    json all = json::array();
    do {
      std::string path = "/v1/objects?prefix=" + server::EncodeQuery(*prefix);
      if (!token.empty()) path += "&page_token=" + server::EncodeQuery(token);
      auto r = api.CallJson("GET", path);
      if (!r) return void(*exit_code = 1);
      for (const json& o : (*r)["objects"]) {
        if (options.json) {
          all.push_back(o);
        } else {
          std::printf("%12lld  %s  %s\n", static_cast<long long>(o["size"].get<int64_t>()),
                      o["modified"].get<std::string>().c_str(),
                      o["key"].get<std::string>().c_str());
        }
      }
      token = (*r)["next_page_token"].is_string() ? (*r)["next_page_token"].get<std::string>() : "";
    } while (!token.empty());
    if (options.json) PrintJson({{"objects", all}});
  });

  auto* rm = objects->add_subcommand("rm", "Delete an object");
  rm->add_option("key", *key, "Object key")->required();
  rm->callback([&options, exit_code, key] {
    Api api(options);
    if (!api.Call("DELETE", "/v1/objects/" + server::EncodePath(*key))) *exit_code = 1;
  });
}

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
    Api api(options);
    std::string path =
        "/v1/events?after=" + std::to_string(args->after) + "&limit=" + std::to_string(args->limit);
    if (!args->kind.empty()) path += "&kind=" + server::EncodeQuery(args->kind);
    auto r = api.CallJson("GET", path);
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    for (const json& e : (*r)["events"]) {
      std::printf("%8lld  %s  %-20s %s\n", static_cast<long long>(e["id"].get<int64_t>()),
                  e["time"].get<std::string>().c_str(), e["kind"].get<std::string>().c_str(),
                  e["payload"].dump().c_str());
    }
  });
}

}  // namespace

std::string ParameterValueJson(const std::string& text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && !parsed.is_string()) return parsed.dump();
  return json(text).dump();
}

void RegisterClientCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  const char* env_server = std::getenv("LOUPE_SERVER");
  options.server =
      env_server != nullptr && *env_server != '\0' ? env_server : "http://127.0.0.1:8080";
  const char* env_token = std::getenv("LOUPE_TOKEN");
  if (env_token != nullptr) options.token = env_token;
  app.add_option("--server", options.server, "loupe server URL (env LOUPE_SERVER)")
      ->capture_default_str();
  app.add_option("--token", options.token, "API token (env LOUPE_TOKEN)");
  app.add_flag("--json", options.json, "Print JSON instead of tables");
  AddParams(app, options, exit_code);
  AddObjects(app, options, exit_code);
  AddEvents(app, options, exit_code);
}

}  // namespace loupe::cli
