#pragma once
// Dataset import and export formats (issue 15): the SageMaker Ground Truth image-classification
// manifest (the replaced solution's), COCO JSON, YOLO folders, a plain folder per label, and
// Label Studio JSON (export only). Export turns a Dataset (labels, content hashes, splits) into
// the format's files and the path each image goes to; import parses a format's files into
// items to store as images_labeled_by_folder/<label>/<file>, refusing the whole input — with
// the line (or entry) and the problem — before anything is imported. Pure functions;
// thread-safe.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ml/dataset.h"

namespace loupe::ml {

enum class DatasetFormat { kGroundTruth, kCoco, kYolo, kFolder, kLabelStudio };

// "groundtruth", "coco", "yolo", "folder", "labelstudio"; InvalidArgument listing them.
Result<DatasetFormat> ParseDatasetFormat(std::string_view name);
std::string_view DatasetFormatName(DatasetFormat format);

// The most items an import takes (a larger input is refused before it is parsed further).
inline constexpr size_t kMaxImportItems = 200000;

struct ExportedImage {
  std::string key;   // the object key under images_labeled_by_folder/: "<label>/<file>"
  std::string path;  // where the export tree holds it
  std::string label;
  std::string sha256;
  Split split = Split::kTrain;
};

struct DatasetExport {
  std::map<std::string, std::string> files;  // path -> content (manifests, class lists)
  std::vector<ExportedImage> images;
};

// `bucket_uri` ("s3://loupe/") prefixes the object keys in source-refs (Ground Truth, Label
// Studio), so that syncing the tree to a bucket makes the manifest true. Splits travel as
// loupe-split (Ground Truth), images[].loupe_split (COCO), train.txt/test.txt (YOLO),
// data.split (Label Studio); content hashes likewise. No boxes: the model gives none yet, so
// COCO annotations carry none and YOLO lines the whole image.
DatasetExport ExportDataset(const Dataset& dataset, DatasetFormat format,
                            std::string_view bucket_uri, TimePoint now);

struct ImportItem {
  std::string source;  // path relative to the import root (or an object key, see below)
  std::string label;   // a valid label or kNoneLabel
  std::optional<Split> split;
  std::string sha256;  // when the input names it (checked against the content)
  std::string where;   // "line 3", "images[2]": for error messages
};

// Ground Truth JSON Lines. A source-ref "s3://<bucket>/<key>" becomes `key`, a relative ref
// stays as it is; refs with "..", absolute paths or other schemes are refused.
Result<std::vector<ImportItem>> ParseGroundTruth(std::string_view manifest);
// COCO: images, categories and one annotation per image (its category is the label).
Result<std::vector<ImportItem>> ParseCoco(std::string_view json);
// YOLO: classes.txt and, per image path (relative), the text of its label file; the class of
// the first line is the label. train.txt / test.txt (image paths) give splits when present.
Result<std::vector<ImportItem>> ParseYolo(
    std::string_view classes, const std::vector<std::pair<std::string, std::string>>& images,
    std::string_view train_list, std::string_view test_list);
// A folder per label: the relative paths "<label>/<file>".
Result<std::vector<ImportItem>> ParseFolder(const std::vector<std::string>& paths);

// The file name an item is stored under (its last path segment); InvalidArgument when two
// items would land on the same images_labeled_by_folder/<label>/<file>.
Result<std::vector<std::string>> ImportKeys(const std::vector<ImportItem>& items);

}  // namespace loupe::ml
