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

bool IsImage(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

// Every image under `root`, relative, sorted.
std::vector<std::string> ImagesUnder(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && IsImage(it->path())) {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
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
      for (const std::string& image : ImagesUnder(path / "images")) {
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
      ASSIGN_OR_RETURN(auto items, ml::ParseFolder(ImagesUnder(path)));
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
    if (Status s = WriteTo(out / path, text.get<std::string>()); !s.ok()) {
      Api::PrintError(s.message());
      return 1;
    }
  }
  int n = 0;
  for (const json& image : (*listing)["Images"]) {
    std::string key = "images_labeled_by_folder/" + image["Key"].get<std::string>();
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
  if (auto keys = ml::ImportKeys(items); !keys.ok()) {
    Api::PrintError(keys.status().message());
    return 1;
  }
  // Every file readable, every given hash right, before the first upload.
  std::vector<std::string> bytes(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto b = ReadFile(root / items[i].source);
    if (!b.ok()) {
      Api::PrintError(items[i].where + ": cannot read " + (root / items[i].source).string());
      return 1;
    }
    std::string sha = Sha256Hex(*b);
    if (!items[i].sha256.empty() && sha != items[i].sha256) {
      Api::PrintError(items[i].where + ": " + items[i].source +
                      " does not have the sha256 the input gives");
      return 1;
    }
    items[i].sha256 = sha;
    bytes[i] = std::move(*b);
  }
  Api api(options, 120);
  std::string staging = "imports/" + RandomHex(8) + "/";
  json list = json::array();
  for (size_t i = 0; i < items.size(); ++i) {
    std::string key =
        staging + std::to_string(i) + "/" + items[i].source.substr(items[i].source.rfind('/') + 1);
    if (!api.Call("PUT", "/v1/objects/" + server::EncodePath(key), bytes[i],
                  "application/octet-stream")) {
      return 1;
    }
    json item = {{"Source", key}, {"Label", items[i].label}, {"Sha256", items[i].sha256}};
    if (items[i].split) item["Split"] = std::string(ml::SplitName(*items[i].split));
    list.push_back(item);
  }
  auto r = api.CallJson("POST", "/v1/dataset/import",
                        json({{"Items", list}, {"DeleteSources", true}}).dump());
  if (!r) return 1;
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
