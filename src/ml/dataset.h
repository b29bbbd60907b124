#pragma once
// Training datasets in the `images_labeled_by_folder/<label>/<file>` layout: listing from the
// object store or a plain directory, label validation, de-duplication by content hash, the
// deterministic train/test split, and the SageMaker Ground Truth manifest (JSON Lines,
// image-classification form). Pure functions are thread-safe; a DatasetSource is thread-safe
// when its backing store is (the two shipped ones are).

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace loupe::store {
class ObjectStore;
}

namespace loupe::ml {

// Reserved folder for negatives: images showing none of the labels.
inline constexpr std::string_view kNoneLabel = "_none";
inline constexpr size_t kMaxLabelLength = 128;

// A label is 1..128 bytes, no '/', '\\', "..", control characters, no leading '_' or '.'
// (reserved), not only whitespace.
Status ValidateLabel(std::string_view label);

// One file of a source; `key` is relative to the dataset root: "<label>/<file>".
struct SourceEntry {
  std::string key;
  std::string sha256;  // lower-case hex; empty if the source doesn't know it (then it is read)
};

struct SourceListing {
  std::vector<SourceEntry> entries;  // ordered by key
  std::vector<std::string> folders;  // first-level folder names, also empty ones
};

// Where a dataset's files live.
class DatasetSource {
 public:
  virtual ~DatasetSource() = default;
  virtual Result<SourceListing> List() const = 0;
  virtual Result<std::string> Read(std::string_view key) const = 0;
  // The URI written as "source-ref" in the manifest.
  virtual std::string SourceRef(std::string_view key) const = 0;
};

// A local directory `root` holding <label>/ folders (the offline CLI). Hidden files skipped.
Result<std::unique_ptr<DatasetSource>> OpenDirectorySource(const std::filesystem::path& root);
// Objects under `prefix` of `store` (borrowed; must outlive the source). source-ref is
// `uri_prefix` + full key.
std::unique_ptr<DatasetSource> MakeObjectStoreSource(
    const store::ObjectStore& store, std::string prefix = "images_labeled_by_folder/",
    std::string uri_prefix = "s3://loupe/");

enum class Split { kTrain, kTest };
std::string_view SplitName(Split split);  // "train" / "test"

struct DatasetImage {
  std::string key;     // relative to the source root
  std::string label;   // a label, or kNoneLabel
  std::string sha256;  // content hash: identity, de-duplication and split
  Split split = Split::kTrain;
};

struct DatasetOptions {
  double test_fraction = 0.2;
  // Assignments from the previous version's manifest (by sha256); they always win, so an
  // image never moves between train and test across versions.
  std::map<std::string, Split> pinned;
  // Give every label with >= 2 images at least one test image (off when the caller evaluates
  // on a separate test set, as bench/ml_quality does).
  bool ensure_test_image = true;
};

// Sorted labels (without kNoneLabel) and de-duplicated images ordered by key. Value type.
struct Dataset {
  std::vector<std::string> labels;
  std::vector<DatasetImage> images;
  std::vector<std::string> warnings;  // skipped files and duplicates, human-readable
  int Count(std::string_view label, Split split) const;
};

// Split score of a content hash: its first 64 bits as a fraction in [0, 1).
double SplitScore(std::string_view sha256_hex);

// Lists and validates the dataset, de-duplicates it by content hash (the first key in key
// order wins), and splits it: pinned images keep their side; otherwise an image is test when
// SplitScore < test_fraction; then, among unpinned images, each label gets >= 1 train image
// (its highest-scoring test image moves) and each label with >= 2 images >= 1 test image (its
// lowest-scoring train image moves). FailedPrecondition for fewer than 2 labels or an empty
// label; InvalidArgument for an invalid label folder name.
Result<Dataset> LoadDataset(const DatasetSource& source, const DatasetOptions& options = {});

// Ground Truth image-classification manifest, one JSON object per line, in image order:
// {"source-ref": URI, "loupe-label": class index, "loupe-label-metadata": {"class-name",
//  "confidence": 1, "human-annotated": "yes", "creation-date", "job-name",
//  "type": "groundtruth/image-classification"}, "loupe-split": "train"|"test",
//  "loupe-sha256": hex}. Class indices follow `labels`; kNoneLabel is labels.size().
std::string WriteManifest(const Dataset& dataset, const DatasetSource& source, TimePoint now);
// The split assignments of a manifest written by WriteManifest (for DatasetOptions::pinned).
Result<std::map<std::string, Split>> ReadManifestSplits(std::string_view manifest);

}  // namespace loupe::ml
