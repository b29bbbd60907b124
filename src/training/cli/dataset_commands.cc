#include "training/cli/dataset_commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/api.h"
#include "core/file.h"
#include "core/random.h"
#include "core/sha256.h"
#include "ml/dataset_formats.h"
#include "server/http_client.h"

namespace loupe::training {
namespace {

using cli::Api;
using nlohmann::json;
namespace fs = std::filesystem;

struct Args {
  std::string format = "groundtruth";
  std::string out;
  std::string path;
};

Status WriteTo(const fs::path& file, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return UnavailableError("cannot write " + file.string());
  return Status::Ok();
}

// Every regular file under `root` (relative, sorted), as the dataset lists folders: hidden
// files and folders are skipped, and so are symbolic links (a tree must not reach outside).
std::vector<std::string> FilesUnder(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    bool hidden = it->path().filename().string().starts_with(".");
    if (it->is_symlink() || hidden) {
      if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out.push_back(it->path().lexically_relative(root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A source path of a manifest must name a file inside `root`, not through a link out of it.
Result<fs::path> Inside(const fs::path& root, const std::string& source, const std::string& where) {
  std::error_code ec;
  fs::path base = fs::canonical(root, ec);
  fs::path file = fs::weakly_canonical(root / source, ec);
  if (ec || file.lexically_relative(base).string().starts_with("..")) {
    return InvalidArgumentError(where + ": " + source + " leads outside " + root.string());
  }
  return file;
}

// A path the server gave for the export tree: relative, without "..".
bool SafeRelative(const std::string& path) {
  fs::path p(path);
  if (path.empty() || p.is_absolute()) return false;
  for (const fs::path& part : p) {
    if (part == "..") return false;
  }
  return true;
}

// The items of the input at `path` and the directory their sources are relative to.
Result<std::pair<std::vector<ml::ImportItem>, fs::path>> ReadInput(ml::DatasetFormat format,
                                                                   const fs::path& path) {
  switch (format) {
    case ml::DatasetFormat::kGroundTruth: {
      ASSIGN_OR_RETURN(std::string text, ReadFile(path));
      ASSIGN_OR_RETURN(auto items, ml::ParseGroundTruth(text));
      return std::make_pair(std::move(items), path.parent_path());
    }
    case ml::DatasetFormat::kCoco: {
      ASSIGN_OR_RETURN(std::string text, ReadFile(path));
      ASSIGN_OR_RETURN(auto items, ml::ParseCoco(text));
      return std::make_pair(std::move(items), path.parent_path());
    }
    case ml::DatasetFormat::kYolo: {
      ASSIGN_OR_RETURN(std::string classes, ReadFile(path / "classes.txt"));
      std::vector<std::pair<std::string, std::string>> images;
      for (const std::string& image : FilesUnder(path / "images")) {
        fs::path label = path / "labels" / fs::path(image).replace_extension(".txt");
        auto text = ReadFile(label);
        if (!text.ok()) {
          return InvalidArgumentError("images/" + image + ": no label file " + label.string());
        }
        images.emplace_back("images/" + image, *text);
      }
      std::string train = ReadFile(path / "train.txt").value_or("");
      std::string test = ReadFile(path / "test.txt").value_or("");
      ASSIGN_OR_RETURN(auto items, ml::ParseYolo(classes, images, train, test));
      return std::make_pair(std::move(items), path);
    }
    case ml::DatasetFormat::kFolder: {
      ASSIGN_OR_RETURN(auto items, ml::ParseFolder(FilesUnder(path)));
      return std::make_pair(std::move(items), path);
    }
    case ml::DatasetFormat::kLabelStudio:
      break;
  }
  return InvalidArgumentError(
      "labelstudio is an export format; import groundtruth, coco, yolo "
      "or folder");
}

int Export(const cli::ClientOptions& options, const Args& args) {
  Api api(options, 120);
  auto listing =
      api.CallJson("GET", "/v1/dataset/export?format=" + server::EncodeQuery(args.format));
  if (!listing) return 1;
  fs::path out(args.out);
  for (const auto& [path, text] : (*listing)["Files"].items()) {
    if (!SafeRelative(path)) {
      Api::PrintError("the server named an unsafe path: " + path);
      return 1;
    }
    if (Status s = WriteTo(out / path, text.get<std::string>()); !s.ok()) {
      Api::PrintError(s.message());
      return 1;
    }
  }
  int n = 0;
  for (const json& image : (*listing)["Images"]) {
    std::string key = "images_labeled_by_folder/" + image.value("Key", "");
    if (!SafeRelative(image.value("Path", ""))) {
      Api::PrintError("the server named an unsafe path: " + image.value("Path", ""));
      return 1;
    }
    auto r = api.Call("GET", "/v1/objects/" + server::EncodePath(key));
    if (!r) return 1;
    if (Sha256Hex(r->body) != image["Sha256"].get<std::string>()) {
      Api::PrintError(key + " changed while exporting; export again");
      return 1;
    }
    if (Status s = WriteTo(out / image["Path"].get<std::string>(), r->body); !s.ok()) {
      Api::PrintError(s.message());
      return 1;
    }
    ++n;
  }
  std::cout << "exported " << n << " images of " << (*listing)["Labels"].size() << " labels to "
            << out.string() << " (" << args.format << ")\n";
  return 0;
}

int Import(const cli::ClientOptions& options, const Args& args) {
  auto format = ml::ParseDatasetFormat(args.format);
  if (!format.ok()) {
    Api::PrintError(format.status().message());
    return 1;
  }
  auto input = ReadInput(*format, args.path);
  if (!input.ok()) {
    Api::PrintError(input.status().message());
    return 1;
  }
  auto& [items, root] = *input;
  auto keys = ml::ImportKeys(items);
  if (!keys.ok()) {
    Api::PrintError(keys.status().message());
    return 1;
  }
  // Every file inside the tree and readable, every given hash right, before the first upload
  // (one file in memory at a time).
  std::vector<fs::path> files(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto file = Inside(root, items[i].source, items[i].where);
    if (!file.ok()) {
      Api::PrintError(file.status().message());
      return 1;
    }
    auto b = ReadFile(*file);
    if (!b.ok()) {
      Api::PrintError(items[i].where + ": cannot read " + file->string());
      return 1;
    }
    std::string sha = Sha256Hex(*b);
    if (!items[i].sha256.empty() && sha != items[i].sha256) {
      Api::PrintError(items[i].where + ": " + items[i].source +
                      " does not have the sha256 the input gives");
      return 1;
    }
    items[i].sha256 = sha;
    files[i] = *file;
  }
  Api api(options, 120);
  std::string staging = "imports/" + RandomHex(8) + "/";
  std::vector<std::string> staged;
  // Staged files go again when anything fails (the server deletes them after filing).
  auto fail = [&](const std::string& message) {
    if (!message.empty()) Api::PrintError(message);
    for (const std::string& key : staged) {
      Api quiet(options, 30);
      (void)quiet.Call("DELETE", "/v1/objects/" + server::EncodePath(key));
    }
    return 1;
  };
  json list = json::array();
  for (size_t i = 0; i < items.size(); ++i) {
    auto b = ReadFile(files[i]);
    if (!b.ok() || Sha256Hex(*b) != items[i].sha256) {
      return fail(items[i].where + ": " + files[i].string() + " changed during the import");
    }
    // Staged under its own <label>/<path>, which the server keeps.
    std::string key = staging + std::to_string(i) + "/" + (*keys)[i];
    if (!api.Call("PUT", "/v1/objects/" + server::EncodePath(key), *b,
                  "application/octet-stream")) {
      return fail("");
    }
    staged.push_back(key);
    json item = {{"Source", key}, {"Label", items[i].label}, {"Sha256", items[i].sha256}};
    if (items[i].split) item["Split"] = std::string(ml::SplitName(*items[i].split));
    list.push_back(item);
  }
  auto r = api.CallJson("POST", "/v1/dataset/import",
                        json({{"Items", list}, {"DeleteSources", true}}).dump());
  if (!r) return fail("");
  std::cout << "imported " << (*r)["Imported"].get<int>() << " images ("
            << (*r)["Unchanged"].get<int>() << " already there) of " << (*r)["Labels"].size()
            << " labels\n";
  return 0;
}

}  // namespace

void RegisterDatasetCommands(CLI::App& app, const cli::ClientOptions& options, int* exit_code) {
  auto* dataset = app.add_subcommand("dataset", "Import and export the labelled dataset");
  dataset->require_subcommand(1);
  auto args = std::make_shared<Args>();
  const char* formats = "groundtruth|coco|yolo|folder|labelstudio (export only)";
  auto* exp = dataset->add_subcommand("export", "Write the dataset (images, labels, splits)");
  exp->add_option("--format", args->format, formats)->capture_default_str();
  exp->add_option("--out", args->out, "Directory to write")->required();
  exp->callback([&options, exit_code, args] { *exit_code = Export(options, *args); });
  auto* imp = dataset->add_subcommand(
      "import", "Add labelled images: a manifest (groundtruth, coco) or a tree (yolo, folder)");
  imp->add_option("--format", args->format, formats)->capture_default_str();
  imp->add_option("path", args->path, "Manifest file, or the tree's directory")
      ->required()
      ->check(CLI::ExistingPath);
  imp->callback([&options, exit_code, args] { *exit_code = Import(options, *args); });
}

}  // namespace loupe::training
