#include "store/cli/object_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/api.h"
#include "core/file.h"
#include "server/http_client.h"

namespace loupe::store {
namespace {

using cli::Api;
using cli::ClientOptions;
using cli::PrintJson;
using nlohmann::json;

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
    if (!bytes.ok()) {
      Api::PrintError(bytes.status().message());
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

}  // namespace

void RegisterObjectCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddObjects(app, options, exit_code);
}

}  // namespace loupe::store
