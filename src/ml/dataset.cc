#include "ml/dataset.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/file.h"
#include "core/sha256.h"
#include "store/object_store.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

class DirectorySource final : public DatasetSource {
 public:
  explicit DirectorySource(fs::path root) : root_(std::move(root)) {}

  Result<SourceListing> List() const override {
    SourceListing out;
    std::error_code ec;
    for (const auto& top : fs::directory_iterator(root_, ec)) {
      std::string name = top.path().filename().string();
      if (!name.empty() && name[0] == '.') continue;
      if (top.is_directory()) {
        out.folders.push_back(name);
        for (auto it = fs::recursive_directory_iterator(top.path(), ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          std::string leaf = it->path().filename().string();
          if (!leaf.empty() && leaf[0] == '.') {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
          }
          if (!it->is_regular_file()) continue;
          out.entries.push_back({fs::relative(it->path(), root_).generic_string(), ""});
        }
      } else if (top.is_regular_file()) {
        out.entries.push_back({name, ""});
      }
    }
    if (ec) return UnavailableError("cannot list " + root_.string() + ": " + ec.message());
    std::sort(out.folders.begin(), out.folders.end());
    std::sort(out.entries.begin(), out.entries.end(),
              [](const SourceEntry& a, const SourceEntry& b) { return a.key < b.key; });
    return out;
  }

  Result<std::string> Read(std::string_view key) const override {
    return ReadFile(root_ / fs::path(std::string(key)));
  }

  std::string SourceRef(std::string_view key) const override {
    return "file://" + (root_ / std::string(key)).string();
  }

 private:
  fs::path root_;
};

class ObjectStoreSource final : public DatasetSource {
 public:
  ObjectStoreSource(const store::ObjectStore& store, std::string prefix, std::string uri_prefix)
      : store_(store), prefix_(std::move(prefix)), uri_prefix_(std::move(uri_prefix)) {}

  Result<SourceListing> List() const override {
    SourceListing out;
    std::set<std::string> folders;
    std::string token;
    do {
      ASSIGN_OR_RETURN(store::ListPage page, store_.List(prefix_, token, 1000));
      for (store::ObjectInfo& info : page.objects) {
        std::string rel = info.key.substr(prefix_.size());
        size_t slash = rel.find('/');
        if (slash != std::string::npos) folders.insert(rel.substr(0, slash));
        out.entries.push_back({std::move(rel), std::move(info.sha256)});
      }
      token = std::move(page.next_page_token);
    } while (!token.empty());
    out.folders.assign(folders.begin(), folders.end());
    return out;
  }

  Result<std::string> Read(std::string_view key) const override {
    return store_.Get(prefix_ + std::string(key));
  }

  std::string SourceRef(std::string_view key) const override {
    return uri_prefix_ + prefix_ + std::string(key);
  }

 private:
  const store::ObjectStore& store_;
  std::string prefix_;
  std::string uri_prefix_;
};

}  // namespace

Status ValidateLabel(std::string_view label) {
  if (label.empty()) return InvalidArgumentError("empty label name");
  if (label.size() > kMaxLabelLength) {
    return InvalidArgumentError("label longer than " + std::to_string(kMaxLabelLength) + " bytes");
  }
  const std::string quoted = "label '" + std::string(label) + "'";
  if (label[0] == '_' || label[0] == '.') {
    return InvalidArgumentError(quoted + " starts with a reserved character ('_' or '.')");
  }
  if (label.find('/') != std::string_view::npos || label.find('\\') != std::string_view::npos) {
    return InvalidArgumentError(quoted + " contains a slash");
  }
  if (label.find("..") != std::string_view::npos)
    return InvalidArgumentError(quoted + " contains '..'");
  bool all_space = true;
  for (unsigned char c : label) {
    if (c < 0x20 || c == 0x7F) return InvalidArgumentError("label contains a control character");
    if (c != ' ' && c != '\t') all_space = false;
  }
  if (all_space) return InvalidArgumentError("label is only whitespace");
  return Status::Ok();
}

Result<std::unique_ptr<DatasetSource>> OpenDirectorySource(const std::filesystem::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return NotFoundError("no dataset directory " + root.string());
  return std::unique_ptr<DatasetSource>(new DirectorySource(fs::absolute(root)));
}

std::unique_ptr<DatasetSource> MakeObjectStoreSource(const store::ObjectStore& store,
                                                     std::string prefix, std::string uri_prefix) {
  return std::make_unique<ObjectStoreSource>(store, std::move(prefix), std::move(uri_prefix));
}

std::string_view SplitName(Split split) { return split == Split::kTest ? "test" : "train"; }

int Dataset::Count(std::string_view label, Split split) const {
  return static_cast<int>(std::count_if(images.begin(), images.end(), [&](const DatasetImage& i) {
    return i.label == label && i.split == split;
  }));
}

double SplitScore(std::string_view sha256_hex) {
  uint64_t v = 0;
  for (size_t i = 0; i < 16 && i < sha256_hex.size(); ++i) {
    char c = sha256_hex[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 0;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return static_cast<double>(v >> 11) / static_cast<double>(uint64_t{1} << 53);
}

Result<Dataset> LoadDataset(const DatasetSource& source, const DatasetOptions& options) {
  if (!(options.test_fraction >= 0.0 && options.test_fraction < 1.0)) {
    return InvalidArgumentError("test fraction must be in [0, 1)");
  }
  ASSIGN_OR_RETURN(SourceListing listing, source.List());
  Dataset ds;
  std::set<std::string> labels;
  for (const std::string& folder : listing.folders) {
    if (folder == kNoneLabel) continue;
    if (!folder.empty() && folder[0] == '_') {
      ds.warnings.push_back("reserved folder '" + folder + "/' ignored");
      continue;
    }
    RETURN_IF_ERROR(ValidateLabel(folder).WithContext("dataset folder"));
    labels.insert(folder);
  }
  std::map<std::string, std::string> first_key_by_hash;
  for (const SourceEntry& e : listing.entries) {
    size_t slash = e.key.find('/');
    if (slash == std::string::npos) {
      ds.warnings.push_back("'" + e.key + "' is not inside a label folder; ignored");
      continue;
    }
    std::string label = e.key.substr(0, slash);
    if (label != kNoneLabel && !labels.count(label)) continue;  // reserved folder
    std::string sha = e.sha256;
    if (sha.empty()) {
      ASSIGN_OR_RETURN(std::string bytes, source.Read(e.key));
      sha = Sha256Hex(bytes);
    }
    auto [it, inserted] = first_key_by_hash.emplace(sha, e.key);
    if (!inserted) {
      ds.warnings.push_back("'" + e.key + "' duplicates '" + it->second + "'; counted once");
      continue;
    }
    ds.images.push_back({e.key, std::move(label), std::move(sha), Split::kTrain});
  }
  ds.labels.assign(labels.begin(), labels.end());
  if (ds.labels.size() < 2) {
    return FailedPreconditionError("a dataset needs at least 2 labels (folders of images); found " +
                                   std::to_string(ds.labels.size()));
  }

  // Split: pins, then hash score, then per-label fix-ups among unpinned images.
  std::map<std::string, std::vector<DatasetImage*>> by_label;
  for (DatasetImage& img : ds.images) {
    auto pin = options.pinned.find(img.sha256);
    if (pin != options.pinned.end()) {
      img.split = pin->second;
    } else {
      img.split = SplitScore(img.sha256) < options.test_fraction ? Split::kTest : Split::kTrain;
    }
    by_label[img.label].push_back(&img);
  }
  for (const std::string& label : ds.labels) {
    if (!by_label.count(label)) {
      return FailedPreconditionError("label '" + label + "' has no images");
    }
  }
  for (auto& [label, imgs] : by_label) {
    auto count = [&](Split s) {
      return std::count_if(imgs.begin(), imgs.end(), [&](auto* i) { return i->split == s; });
    };
    auto move_one = [&](Split from, Split to, bool lowest) {
      DatasetImage* best = nullptr;
      for (DatasetImage* i : imgs) {
        if (i->split != from || options.pinned.count(i->sha256)) continue;
        double s = SplitScore(i->sha256);
        if (!best || (lowest ? s < SplitScore(best->sha256) : s > SplitScore(best->sha256)))
          best = i;
      }
      if (best) best->split = to;
      return best != nullptr;
    };
    if (count(Split::kTrain) == 0 && !move_one(Split::kTest, Split::kTrain, false)) {
      ds.warnings.push_back("label '" + label + "' has no training image (all pinned to test)");
    }
    if (options.ensure_test_image && imgs.size() >= 2 && count(Split::kTest) == 0 &&
        !move_one(Split::kTrain, Split::kTest, true)) {
      ds.warnings.push_back("label '" + label + "' has no test image (all pinned to train)");
    }
  }
  return ds;
}

std::string WriteManifest(const Dataset& dataset, const DatasetSource& source, TimePoint now) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < dataset.labels.size(); ++i) index[dataset.labels[i]] = static_cast<int>(i);
  index[std::string(kNoneLabel)] = static_cast<int>(dataset.labels.size());
  const std::string date = FormatRfc3339(now);
  std::string out;
  for (const DatasetImage& img : dataset.images) {
    nlohmann::ordered_json line;
    line["source-ref"] = source.SourceRef(img.key);
    line["loupe-label"] = index[img.label];
    line["loupe-label-metadata"] = {{"class-name", img.label},
                                    {"confidence", 1},
                                    {"human-annotated", "yes"},
                                    {"creation-date", date},
                                    {"job-name", "labeling-job/loupe-label"},
                                    {"type", "groundtruth/image-classification"}};
    line["loupe-split"] = std::string(SplitName(img.split));
    line["loupe-sha256"] = img.sha256;
    out += line.dump();
    out += '\n';
  }
  return out;
}

Result<std::map<std::string, Split>> ReadManifestSplits(std::string_view manifest) {
  std::map<std::string, Split> out;
  std::istringstream in{std::string(manifest)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    try {
      nlohmann::json j = nlohmann::json::parse(line);
      std::string split = j.at("loupe-split").get<std::string>();
      if (split != "train" && split != "test") return InvalidArgumentError("bad loupe-split");
      out[j.at("loupe-sha256").get<std::string>()] = split == "test" ? Split::kTest : Split::kTrain;
    } catch (const nlohmann::json::exception& e) {
      return InvalidArgumentError("manifest line " + std::to_string(n) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace loupe::ml
