#include "training/dataset_io.h"

#include <nlohmann/json.hpp>
#include <set>

#include "models/model_registry.h"

namespace loupe::training {
namespace {

constexpr std::string_view kLabeled = "images_labeled_by_folder/";

}  // namespace

Result<std::map<std::string, ml::Split>> SplitPins(models::ModelRegistry& registry,
                                                   const store::ObjectStore& store,
                                                   const std::optional<models::VersionId>& skip) {
  std::map<std::string, ml::Split> pins;
  if (auto imported = store.Get(kImportedSplitsKey); imported.ok()) {
    ASSIGN_OR_RETURN(pins, ml::ReadManifestSplits(*imported));
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
  ASSIGN_OR_RETURN(std::vector<std::string> keys, ml::ImportKeys(items));
  // Check everything before the first copy.
  std::vector<bool> present(items.size(), false);
  std::vector<std::string> hashes(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const ml::ImportItem& item = items[i];
    auto info = store.Head(item.source);
    if (!info.ok()) {
      return InvalidArgumentError(item.where + ": image '" + item.source +
                                  "': " + info.status().message());
    }
    if (!item.sha256.empty() && item.sha256 != info->sha256) {
      return InvalidArgumentError(item.where + ": image '" + item.source +
                                  "' does not have the sha256 the input gives");
    }
    hashes[i] = info->sha256;
    std::string target = std::string(kLabeled) + keys[i];
    if (auto existing = store.Head(target); existing.ok()) {
      if (existing->sha256 != info->sha256) {
        return FailedPreconditionError(item.where + ": " + target + " exists with other content");
      }
      present[i] = true;
    }
  }
  ImportResult result;
  std::set<std::string> labels;
  ml::Dataset splits;  // the pins the input gives, as a manifest
  for (size_t i = 0; i < items.size(); ++i) {
    std::string target = std::string(kLabeled) + keys[i];
    if (present[i]) {
      ++result.unchanged;
    } else {
      RETURN_IF_ERROR(store.Copy(items[i].source, target).status());
      ++result.imported;
    }
    labels.insert(items[i].label);
    if (items[i].split) {
      splits.images.push_back({keys[i], items[i].label, hashes[i], *items[i].split});
    }
  }
  if (!splits.images.empty()) {
    // Merge with earlier imports: the newest import's side wins.
    std::map<std::string, ml::Split> pins;
    if (auto earlier = store.Get(kImportedSplitsKey); earlier.ok()) {
      if (auto parsed = ml::ReadManifestSplits(*earlier); parsed.ok()) pins = std::move(*parsed);
    }
    for (const ml::DatasetImage& image : splits.images) pins[image.sha256] = image.split;
    std::string manifest;
    for (const auto& [sha, split] : pins) {
      manifest += nlohmann::json(
                      {{"loupe-sha256", sha}, {"loupe-split", std::string(ml::SplitName(split))}})
                      .dump() +
                  "\n";
    }
    RETURN_IF_ERROR(store.Put(kImportedSplitsKey, manifest).status());
  }
  if (delete_sources) {
    for (const ml::ImportItem& item : items) {
      if (item.source.rfind(kLabeled, 0) != 0) (void)store.Delete(item.source);
    }
  }
  result.labels.assign(labels.begin(), labels.end());
  return result;
}

}  // namespace loupe::training
