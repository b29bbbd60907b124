#include "ml/dataset_formats.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/enum_table.h"

namespace loupe::ml {
namespace {

using nlohmann::json;

constexpr EnumTable<DatasetFormat, 5> kFormatNames{
    {{{DatasetFormat::kGroundTruth, "groundtruth"},
      {DatasetFormat::kCoco, "coco"},
      {DatasetFormat::kYolo, "yolo"},
      {DatasetFormat::kFolder, "folder"},
      {DatasetFormat::kLabelStudio, "labelstudio"}}}};

Status Refuse(const std::string& where, const std::string& problem) {
  return InvalidArgumentError(where + ": " + problem);
}

// A relative path of the import tree: no "..", no absolute path, no backslash, no empty part.
Status CheckRelative(std::string_view path, const std::string& where) {
  if (path.empty()) return Refuse(where, "empty image path");
  if (path.front() == '/' || path.find('\\') != std::string_view::npos ||
      path.find("://") != std::string_view::npos) {
    return Refuse(where, "image path '" + std::string(path) + "' must be relative");
  }
  std::string_view rest = path;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") {
      return Refuse(where, "image path '" + std::string(path) + "' has an empty, . or .. part");
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return Status::Ok();
}

Status CheckLabel(const std::string& label, const std::string& where) {
  if (label == kNoneLabel) return Status::Ok();
  Status s = ValidateLabel(label);
  return s.ok() ? s : Refuse(where, "label '" + label + "': " + s.message());
}

Result<std::optional<Split>> SplitOf(const json& value, const std::string& where) {
  if (value.is_null()) return std::optional<Split>();
  if (value == "train") return std::optional<Split>(Split::kTrain);
  if (value == "test") return std::optional<Split>(Split::kTest);
  return Refuse(where, "split must be \"train\" or \"test\"");
}

Status CheckSha(const std::string& sha, const std::string& where) {
  if (sha.empty()) return Status::Ok();
  bool ok = sha.size() == 64;
  for (char c : sha) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  return ok ? Status::Ok() : Refuse(where, "sha256 must be 64 lower-case hex digits");
}

// "s3://bucket/key" -> key; relative paths as they are.
Result<std::string> SourceOf(const std::string& ref, const std::string& where) {
  std::string path = ref;
  if (ref.rfind("s3://", 0) == 0) {
    size_t slash = ref.find('/', 5);
    if (slash == std::string::npos || slash == 5) {
      return Refuse(where, "source-ref '" + ref + "' names no object");
    }
    path = ref.substr(slash + 1);
  }
  RETURN_IF_ERROR(CheckRelative(path, where));
  return path;
}

std::string ImagePath(const DatasetImage& image) { return "images/" + image.key; }

}  // namespace

Result<DatasetFormat> ParseDatasetFormat(std::string_view name) {
  return kFormatNames.Parse(name, "dataset format");
}

std::string_view DatasetFormatName(DatasetFormat format) { return kFormatNames.Name(format); }

DatasetExport ExportDataset(const Dataset& dataset, DatasetFormat format,
                            std::string_view bucket_uri, TimePoint now) {
  DatasetExport out;
  std::string date = FormatRfc3339(now);
  std::map<std::string, int> class_of;
  for (size_t i = 0; i < dataset.labels.size(); ++i)
    class_of[dataset.labels[i]] = static_cast<int>(i);
  int none_class = static_cast<int>(dataset.labels.size());
  auto cls = [&](const std::string& label) {
    auto it = class_of.find(label);
    return it == class_of.end() ? none_class : it->second;
  };
  std::string labeled_uri = std::string(bucket_uri) + "images_labeled_by_folder/";
  for (const DatasetImage& image : dataset.images) {
    std::string path =
        format == DatasetFormat::kGroundTruth || format == DatasetFormat::kLabelStudio
            ? "images_labeled_by_folder/" + image.key
        : format == DatasetFormat::kFolder ? image.key
                                           : ImagePath(image);
    out.images.push_back({image.key, path, image.label, image.sha256, image.split});
  }
  switch (format) {
    case DatasetFormat::kGroundTruth: {
      std::string lines;
      for (const DatasetImage& image : dataset.images) {
        json line = {{"source-ref", labeled_uri + image.key},
                     {"loupe-label", cls(image.label)},
                     {"loupe-label-metadata",
                      {{"class-name", image.label},
                       {"confidence", 1},
                       {"human-annotated", "yes"},
                       {"creation-date", date},
                       {"job-name", "labeling-job/loupe-export"},
                       {"type", "groundtruth/image-classification"}}},
                     {"loupe-split", std::string(SplitName(image.split))},
                     {"loupe-sha256", image.sha256}};
        lines += line.dump() + "\n";
      }
      out.files["manifest.jsonl"] = lines;
      break;
    }
    case DatasetFormat::kCoco: {
      json images = json::array(), annotations = json::array(), categories = json::array();
      for (size_t i = 0; i < dataset.labels.size(); ++i) {
        categories.push_back({{"id", i + 1}, {"name", dataset.labels[i]}});
      }
      categories.push_back({{"id", none_class + 1}, {"name", std::string(kNoneLabel)}});
      for (size_t i = 0; i < dataset.images.size(); ++i) {
        const DatasetImage& image = dataset.images[i];
        images.push_back({{"id", i + 1},
                          {"file_name", ImagePath(image)},
                          {"loupe_split", std::string(SplitName(image.split))},
                          {"loupe_sha256", image.sha256}});
        annotations.push_back(
            {{"id", i + 1}, {"image_id", i + 1}, {"category_id", cls(image.label) + 1}});
      }
      out.files["annotations.json"] =
          json({{"info", {{"description", "loupe export"}, {"date_created", date}}},
                {"images", images},
                {"annotations", annotations},
                {"categories", categories}})
              .dump(1);
      break;
    }
    case DatasetFormat::kYolo: {
      std::string classes, train, test;
      for (const std::string& l : dataset.labels) classes += l + "\n";
      classes += std::string(kNoneLabel) + "\n";
      for (const DatasetImage& image : dataset.images) {
        std::string stem =
            std::filesystem::path(image.key).replace_extension(".txt").generic_string();
        // No boxes yet: the whole image.
        out.files["labels/" + stem] = std::to_string(cls(image.label)) + " 0.5 0.5 1 1\n";
        (image.split == Split::kTest ? test : train) += ImagePath(image) + "\n";
      }
      out.files["classes.txt"] = classes;
      out.files["train.txt"] = train;
      out.files["test.txt"] = test;
      break;
    }
    case DatasetFormat::kFolder:
      break;
    case DatasetFormat::kLabelStudio: {
      json tasks = json::array();
      for (size_t i = 0; i < dataset.images.size(); ++i) {
        const DatasetImage& image = dataset.images[i];
        json result = {{"from_name", "label"},
                       {"to_name", "image"},
                       {"type", "choices"},
                       {"value", {{"choices", {image.label}}}}};
        tasks.push_back({{"id", i + 1},
                         {"data",
                          {{"image", labeled_uri + image.key},
                           {"split", std::string(SplitName(image.split))},
                           {"sha256", image.sha256}}},
                         {"annotations", {{{"id", i + 1}, {"result", {result}}}}}});
      }
      out.files["labelstudio.json"] = tasks.dump(1);
      break;
    }
  }
  return out;
}

Result<std::vector<ImportItem>> ParseGroundTruth(std::string_view manifest) {
  std::vector<ImportItem> items;
  std::istringstream in{std::string(manifest)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string where = "line " + std::to_string(n);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (items.size() >= kMaxImportItems) {
      return Refuse(where, "more than " + std::to_string(kMaxImportItems) + " images");
    }
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) return Refuse(where, "not a JSON object");
    if (!j.contains("source-ref") || !j["source-ref"].is_string()) {
      return Refuse(where, "no \"source-ref\" string");
    }
    ImportItem item;
    item.where = where;
    ASSIGN_OR_RETURN(item.source, SourceOf(j["source-ref"].get<std::string>(), where));
    // The label: the class-name of the one "<attribute>-metadata" object.
    for (const auto& [name, value] : j.items()) {
      if (name.size() > 9 && name.ends_with("-metadata") && value.is_object() &&
          value.contains("class-name")) {
        if (!item.label.empty()) return Refuse(where, "more than one labelling attribute");
        if (!value["class-name"].is_string()) return Refuse(where, "class-name must be a string");
        item.label = value["class-name"].get<std::string>();
      }
    }
    if (item.label.empty()) return Refuse(where, "no \"<attribute>-metadata\" with a class-name");
    RETURN_IF_ERROR(CheckLabel(item.label, where));
    ASSIGN_OR_RETURN(item.split, SplitOf(j.value("loupe-split", json()), where));
    if (j.contains("loupe-sha256")) {
      if (!j["loupe-sha256"].is_string()) return Refuse(where, "loupe-sha256 must be a string");
      item.sha256 = j["loupe-sha256"].get<std::string>();
      RETURN_IF_ERROR(CheckSha(item.sha256, where));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return InvalidArgumentError("the manifest lists no images");
  return items;
}

Result<std::vector<ImportItem>> ParseCoco(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return InvalidArgumentError("COCO file: not a JSON object");
  for (const char* field : {"images", "annotations", "categories"}) {
    if (!j.contains(field) || !j[field].is_array()) {
      return InvalidArgumentError(std::string("COCO file: no \"") + field + "\" array");
    }
  }
  if (j["images"].size() > kMaxImportItems) {
    return InvalidArgumentError("COCO file: more than " + std::to_string(kMaxImportItems) +
                                " images");
  }
  std::map<int64_t, std::string> categories;
  for (size_t i = 0; i < j["categories"].size(); ++i) {
    const json& c = j["categories"][i];
    std::string where = "categories[" + std::to_string(i) + "]";
    if (!c.is_object() || !c.contains("id") || !c["id"].is_number_integer() ||
        !c.contains("name") || !c["name"].is_string()) {
      return Refuse(where, "needs an integer \"id\" and a string \"name\"");
    }
    if (!categories.emplace(c["id"].get<int64_t>(), c["name"].get<std::string>()).second) {
      return Refuse(where,
                    "category id " + std::to_string(c["id"].get<int64_t>()) + " appears twice");
    }
  }
  std::map<int64_t, std::string> label_of_image;
  for (size_t i = 0; i < j["annotations"].size(); ++i) {
    const json& a = j["annotations"][i];
    std::string where = "annotations[" + std::to_string(i) + "]";
    if (!a.is_object() || !a.contains("image_id") || !a["image_id"].is_number_integer() ||
        !a.contains("category_id") || !a["category_id"].is_number_integer()) {
      return Refuse(where, "needs integer \"image_id\" and \"category_id\"");
    }
    auto c = categories.find(a["category_id"].get<int64_t>());
    if (c == categories.end()) {
      return Refuse(where,
                    "unknown category_id " + std::to_string(a["category_id"].get<int64_t>()));
    }
    RETURN_IF_ERROR(CheckLabel(c->second, where));  // only the categories that are used
    auto [it, fresh] = label_of_image.emplace(a["image_id"].get<int64_t>(), c->second);
    if (!fresh && it->second != c->second) {
      return Refuse(where, "image " + std::to_string(it->first) +
                               " has annotations of two categories (loupe imports one label "
                               "per image)");
    }
  }
  std::vector<ImportItem> items;
  for (size_t i = 0; i < j["images"].size(); ++i) {
    const json& im = j["images"][i];
    std::string where = "images[" + std::to_string(i) + "]";
    if (!im.is_object() || !im.contains("id") || !im["id"].is_number_integer() ||
        !im.contains("file_name") || !im["file_name"].is_string()) {
      return Refuse(where, "needs an integer \"id\" and a string \"file_name\"");
    }
    auto label = label_of_image.find(im["id"].get<int64_t>());
    if (label == label_of_image.end()) continue;  // unannotated images are not training data
    ImportItem item;
    item.where = where;
    item.source = im["file_name"].get<std::string>();
    RETURN_IF_ERROR(CheckRelative(item.source, where));
    item.label = label->second;
    ASSIGN_OR_RETURN(item.split, SplitOf(im.value("loupe_split", json()), where));
    if (im.contains("loupe_sha256")) {
      if (!im["loupe_sha256"].is_string()) return Refuse(where, "loupe_sha256 must be a string");
      item.sha256 = im["loupe_sha256"].get<std::string>();
      RETURN_IF_ERROR(CheckSha(item.sha256, where));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return InvalidArgumentError("COCO file: no annotated images");
  return items;
}

Result<std::vector<ImportItem>> ParseYolo(
    std::string_view classes, const std::vector<std::pair<std::string, std::string>>& images,
    std::string_view train_list, std::string_view test_list) {
  std::vector<std::string> names;
  std::istringstream in{std::string(classes)};
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();  // a final newline
  for (const std::string& name : lines) {
    // Each line is a class index: an empty one is refused, not skipped (it would shift them).
    RETURN_IF_ERROR(CheckLabel(name, "classes.txt line " + std::to_string(names.size() + 1)));
    names.push_back(name);
  }
  if (names.empty()) return InvalidArgumentError("classes.txt names no class");
  if (images.size() > kMaxImportItems) {
    return InvalidArgumentError("more than " + std::to_string(kMaxImportItems) + " images");
  }
  auto listed = [](std::string_view list) {
    std::set<std::string> out;
    std::istringstream s{std::string(list)};
    std::string l;
    while (std::getline(s, l)) {
      while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
      if (l.rfind("./", 0) == 0) l.erase(0, 2);
      if (!l.empty()) out.insert(l);
    }
    return out;
  };
  std::set<std::string> train = listed(train_list), test = listed(test_list);
  std::vector<ImportItem> items;
  for (const auto& [path, label_text] : images) {
    std::string where = "labels of " + path;
    RETURN_IF_ERROR(CheckRelative(path, where));
    std::istringstream first{label_text};
    int64_t cls = -1;
    if (!(first >> cls) || cls < 0 || cls >= static_cast<int64_t>(names.size())) {
      return Refuse(where, "the first line must start with a class index in [0, " +
                               std::to_string(names.size()) + ")");
    }
    ImportItem item;
    item.where = where;
    item.source = path;
    item.label = names[static_cast<size_t>(cls)];
    if (test.count(path))
      item.split = Split::kTest;
    else if (train.count(path))
      item.split = Split::kTrain;
    items.push_back(std::move(item));
  }
  if (items.empty()) return InvalidArgumentError("no labelled images");
  return items;
}

Result<std::vector<ImportItem>> ParseFolder(const std::vector<std::string>& paths) {
  if (paths.size() > kMaxImportItems) {
    return InvalidArgumentError("more than " + std::to_string(kMaxImportItems) + " images");
  }
  std::vector<ImportItem> items;
  for (const std::string& path : paths) {
    RETURN_IF_ERROR(CheckRelative(path, path));
    size_t slash = path.find('/');
    if (slash == std::string::npos) {
      return Refuse(path, "a folder import holds <label>/<file> (or <label>/<sub>/<file>)");
    }
    ImportItem item;
    item.where = path;
    item.source = path;
    item.label = path.substr(0, slash);
    RETURN_IF_ERROR(CheckLabel(item.label, path));
    items.push_back(std::move(item));
  }
  if (items.empty()) return InvalidArgumentError("no <label>/<file> images");
  return items;
}

Result<std::vector<std::string>> ImportKeys(const std::vector<ImportItem>& items) {
  std::vector<std::string> keys;
  std::map<std::string, std::string> seen;
  for (const ImportItem& item : items) {
    // The path under the label's own folder when the source has one (".../<label>/sub/x.jpg"
    // -> "<label>/sub/x.jpg", so nested keys round-trip), else the file name.
    std::string rest = item.source.substr(item.source.rfind('/') + 1);
    std::string marker = item.label + "/";
    for (size_t at = item.source.rfind(marker); at != std::string::npos;
         at = at == 0 ? std::string::npos : item.source.rfind(marker, at - 1)) {
      if (at == 0 || item.source[at - 1] == '/') {
        rest = item.source.substr(at + marker.size());
        break;
      }
    }
    std::string key = item.label + "/" + rest;
    auto [it, fresh] = seen.emplace(key, item.where);
    if (!fresh) {
      return Refuse(item.where, "would be stored as " + key + " like " + it->second);
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace loupe::ml
