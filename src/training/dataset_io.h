#pragma once
// The training dataset in and out of loupe (issue 15): the dataset as the next training would
// see it (labels, content hashes, splits: pins from the newest trained version's manifest,
// over splits recorded by imports), and imports of images already in the object store, each
// copied to images_labeled_by_folder/<label>/<file> after every item was checked, with the
// splits the input gave pinned for later trainings. Thread-safe when the store is.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ml/dataset.h"
#include "ml/dataset_formats.h"
#include "models/model_registry.h"
#include "store/object_store.h"

namespace loupe::training {

// Splits recorded by imports (a Ground Truth manifest with loupe-split and loupe-sha256).
inline constexpr std::string_view kImportedSplitsKey = "manifests/imported-splits.manifest";
// Where `loupe dataset import` stages local files before the server files them.
inline constexpr std::string_view kStagingPrefix = "imports/";

// Which side of the split each known image is on: imported splits, overridden by the newest
// trained version's manifest (other than `skip`).
Result<std::map<std::string, ml::Split>> SplitPins(models::ModelRegistry& registry,
                                                   const store::ObjectStore& store,
                                                   const std::optional<models::VersionId>& skip);
// The labelled images under images_labeled_by_folder/ as the next training splits them.
Result<ml::Dataset> CurrentDataset(models::ModelRegistry& registry,
                                   const store::ObjectStore& store);

struct ImportResult {
  int imported = 0;   // new objects
  int unchanged = 0;  // already there with the same content
  std::vector<std::string> labels;
};

// Imports `items` whose `source` is an object key in `store`. Every item is checked first (the
// object exists, its hash matches a given sha256, its target is free or holds the same
// content, the target is a valid key); a refusal names the item and imports nothing. The
// splits the items give are recorded before the first copy. `delete_sources` removes the
// sources under imports/ (staged uploads of `loupe dataset import`) afterwards, also after a
// refusal. A storage failure during the copies leaves the images copied so far (importing
// again completes it: present images count as unchanged).
Result<ImportResult> ImportFromStore(store::ObjectStore& store,
                                     const std::vector<ml::ImportItem>& items, bool delete_sources);

}  // namespace loupe::training
