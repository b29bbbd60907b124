#include "detect/cli/detect_commands.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/api.h"
#include "core/file.h"
#include "server/http_client.h"

namespace loupe::detect {
namespace {

namespace fs = std::filesystem;
using cli::Api;
using cli::ClientOptions;
using nlohmann::json;

// Detection answers quickly; a stuck server should not hang the CLI.
constexpr int kQueryTimeoutSeconds = 60;

std::string ContentTypeFor(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".webp") return "image/webp";
  return "application/octet-stream";
}

void AddDetect(CLI::App& app, const ClientOptions& options, int* exit_code) {
  struct Args {
    std::vector<std::string> files;
    std::vector<std::string> keys;
    std::optional<double> min_confidence;
    std::optional<int> max_results;
    std::string version;
  };
  auto args = std::make_shared<Args>();
  auto* detect = app.add_subcommand(
      "detect", "Detect custom labels in images with the production model (one JSON line each)");
  detect->add_option("files", args->files, "Image files (JPEG, PNG, WebP)")
      ->check(CLI::ExistingFile);
  detect->add_option("--key", args->keys, "A stored object to detect instead (repeatable)");
  detect
      ->add_option("--min-confidence", args->min_confidence,
                   "0..100 (default: each label's assumed threshold)")
      ->check(CLI::Range(0.0, 100.0));
  detect->add_option("--max-results", args->max_results, "At most this many labels")
      ->check(CLI::PositiveNumber);
  detect->add_option("--version", args->version, "A running version instead of production");
  detect->callback([&options, exit_code, args] {
    if (args->files.empty() && args->keys.empty()) {
      Api::PrintError("give image files or --key KEY");
      return void(*exit_code = 2);
    }
    Api api(options, kQueryTimeoutSeconds);
    auto print = [&options](const std::string& what, const json& r) {
      json line = {{"Image", what}};
      for (auto it = r.begin(); it != r.end(); ++it) line[it.key()] = it.value();
      std::cout << (options.json ? line.dump(2) : line.dump()) << "\n";
    };
    for (const std::string& f : args->files) {
      auto bytes = ReadFile(f);
      if (!bytes.ok()) {
        Api::PrintError(bytes.status().message());
        *exit_code = 1;
        continue;
      }
      std::string query;
      auto add = [&query](const std::string& k, const std::string& v) {
        query += (query.empty() ? "?" : "&") + k + "=" + server::EncodeQuery(v);
      };
      if (args->min_confidence) add("MinConfidence", std::to_string(*args->min_confidence));
      if (args->max_results) add("MaxResults", std::to_string(*args->max_results));
      if (!args->version.empty()) add("ProjectVersion", args->version);
      auto r = api.Call("POST", "/v1/detect" + query, *bytes, ContentTypeFor(f));
      if (!r) {
        std::fprintf(stderr, "  (%s)\n", f.c_str());
        *exit_code = 1;
        continue;
      }
      print(f, json::parse(r->body, nullptr, false));
    }
    for (const std::string& key : args->keys) {
      json body = {{"Image", {{"S3Object", {{"Name", key}}}}}};
      if (args->min_confidence) body["MinConfidence"] = *args->min_confidence;
      if (args->max_results) body["MaxResults"] = *args->max_results;
      if (!args->version.empty()) body["ProjectVersion"] = args->version;
      auto r = api.CallJson("POST", "/v1/detect", body.dump());
      if (!r) {
        std::fprintf(stderr, "  (%s)\n", key.c_str());
        *exit_code = 1;
        continue;
      }
      print(key, *r);
    }
  });
}

}  // namespace

void RegisterDetectCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddDetect(app, options, exit_code);
}

}  // namespace loupe::detect
