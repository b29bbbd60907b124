#include "training/dataset_io.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "models/model_registry.h"

namespace loupe::training {
namespace {

constexpr std::string_view kLabeled = "images_labeled_by_folder/";

// One import at a time writes the imported-splits manifest (read, merge, write) in this
// process.
std::mutex& SplitsMutex() {
  static std::mutex mu;
  return mu;
}

// Adds `splits` (sha256 -> side) to the imported-splits manifest; the newest import wins.
Status RecordSplits(store::ObjectStore& store, const std::map<std::string, ml::Split>& splits) {
  std::lock_guard lock(SplitsMutex());
  std::map<std::string, ml::Split> pins;
  if (auto earlier = store.Get(kImportedSplitsKey); earlier.ok()) {
    auto parsed = ml::ReadManifestSplits(*earlier);
    if (!parsed.ok()) {
      return DataLossError(std::string(kImportedSplitsKey) + " is unreadable (" +
                           parsed.status().message() + "); fix or delete it before importing");
    }
    pins = std::move(*parsed);
  } else if (earlier.status().code() != StatusCode::kNotFound) {
    return earlier.status();
  }
  for (const auto& [sha, split] : splits) pins[sha] = split;
  std::string manifest;
  for (const auto& [sha, split] : pins) {
    manifest +=
        nlohmann::json({{"loupe-sha256", sha}, {"loupe-split", std::string(ml::SplitName(split))}})
            .dump() +
        "\n";
  }
  return store.Put(kImportedSplitsKey, manifest).status();
}

Result<ImportResult> ImportChecked(store::ObjectStore& store,
                                   const std::vector<ml::ImportItem>& items) {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, ml::ImportKeys(items));
  // Check everything before the first copy.
  std::vector<bool> present(items.size(), false);
  std::map<std::string, ml::Split> splits;
  for (size_t i = 0; i < items.size(); ++i) {
    const ml::ImportItem& item = items[i];
    std::string target = std::string(kLabeled) + keys[i];
    if (Status s = store::ValidateKey(target); !s.ok()) {
      return InvalidArgumentError(item.where + ": cannot be stored as " + target + ": " +
                                  s.message());
    }
    auto info = store.Head(item.source);
    if (!info.ok()) {
      return InvalidArgumentError(item.where + ": image '" + item.source +
                                  "': " + info.status().message());
    }
    if (!item.sha256.empty() && item.sha256 != info->sha256) {
      return InvalidArgumentError(item.where + ": image '" + item.source +
                                  "' does not have the sha256 the input gives");
    }
    if (auto existing = store.Head(target); existing.ok()) {
      if (existing->sha256 != info->sha256) {
        return FailedPreconditionError(item.where + ": " + target + " exists with other content");
      }
      present[i] = true;
    }
    if (item.split) splits[info->sha256] = *item.split;
  }
  // The splits first: a training that starts while the images are copied already keeps them.
  if (!splits.empty()) RETURN_IF_ERROR(RecordSplits(store, splits));
  ImportResult result;
  std::set<std::string> labels;
  for (size_t i = 0; i < items.size(); ++i) {
    if (present[i]) {
      ++result.unchanged;
    } else {
      RETURN_IF_ERROR(store.Copy(items[i].source, std::string(kLabeled) + keys[i]).status());
      ++result.imported;
    }
    labels.insert(items[i].label);
  }
  result.labels.assign(labels.begin(), labels.end());
  return result;
}

}  // namespace

Result<std::map<std::string, ml::Split>> SplitPins(models::ModelRegistry& registry,
                                                   const store::ObjectStore& store,
                                                   const std::optional<models::VersionId>& skip) {
  std::map<std::string, ml::Split> pins;
  if (auto imported = store.Get(kImportedSplitsKey); imported.ok()) {
    // An unreadable file pins nothing (imports refuse to extend it until it is fixed).
    if (auto parsed = ml::ReadManifestSplits(*imported); parsed.ok()) pins = std::move(*parsed);
  }
  ASSIGN_OR_RETURN(std::vector<models::VersionInfo> versions, registry.List());
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if ((skip && it->version == *skip) || it->status == models::VersionStatus::kTraining ||
        it->status == models::VersionStatus::kTrainingFailed) {
      continue;
    }
    auto manifest = store.Get(models::ArtifactPrefix(it->version) + "manifest.jsonl");
    if (!manifest.ok()) continue;
    auto pinned = ml::ReadManifestSplits(*manifest);
    if (!pinned.ok()) continue;
    for (auto& [sha, split] : *pinned) pins[sha] = split;
    break;
  }
  return pins;
}

Result<ml::Dataset> CurrentDataset(models::ModelRegistry& registry,
                                   const store::ObjectStore& store) {
  ml::DatasetOptions options;
  ASSIGN_OR_RETURN(options.pinned, SplitPins(registry, store, std::nullopt));
  auto source = ml::MakeObjectStoreSource(store);
  return ml::LoadDataset(*source, options);
}

Result<ImportResult> ImportFromStore(store::ObjectStore& store,
                                     const std::vector<ml::ImportItem>& items,
                                     bool delete_sources) {
  auto result = ImportChecked(store, items);
  // Staged uploads go, imported or refused (never anything outside imports/).
  if (delete_sources) {
    for (const ml::ImportItem& item : items) {
      if (item.source.rfind(kStagingPrefix, 0) == 0) (void)store.Delete(item.source);
    }
  }
  return result;
}

}  // namespace loupe::training
