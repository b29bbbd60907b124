#include "ml/dataset_formats.h"

#include <gtest/gtest.h>

namespace loupe::ml {
namespace {

Dataset Sample() {
  Dataset d;
  d.labels = {"acme", "globex"};
  d.images = {{"acme/a.jpg", "acme", std::string(64, 'a'), Split::kTrain},
              {"acme/2026/b.jpg", "acme", std::string(64, 'b'), Split::kTest},
              {"globex/c.png", "globex", std::string(64, 'c'), Split::kTrain},
              {"_none/d.jpg", "_none", std::string(64, 'd'), Split::kTest}};
  return d;
}

// What an import of `items` would file: (key, label, split, sha256).
std::vector<std::tuple<std::string, std::string, std::string, std::string>> Filed(
    const std::vector<ImportItem>& items) {
  auto keys = ImportKeys(items);
  EXPECT_TRUE(keys.ok()) << keys.status();
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> out;
  for (size_t i = 0; keys.ok() && i < items.size(); ++i) {
    out.emplace_back((*keys)[i], items[i].label,
                     items[i].split ? std::string(SplitName(*items[i].split)) : "",
                     items[i].sha256);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DatasetFormatsTest, GroundTruthAndCocoRoundTripKeysLabelsSplitsAndHashes) {
  Dataset d = Sample();
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> want;
  for (const DatasetImage& i : d.images) {
    want.emplace_back(i.key, i.label, std::string(SplitName(i.split)), i.sha256);
  }
  std::sort(want.begin(), want.end());
  DatasetExport gt = ExportDataset(d, DatasetFormat::kGroundTruth, "s3://b/", TimePoint{});
  auto items = ParseGroundTruth(gt.files.at("manifest.jsonl"));
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(Filed(*items), want);
  DatasetExport coco = ExportDataset(d, DatasetFormat::kCoco, "s3://b/", TimePoint{});
  items = ParseCoco(coco.files.at("annotations.json"));
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(Filed(*items), want);
}

TEST(DatasetFormatsTest, YoloRoundTripsSplitsAndNestedPaths) {
  Dataset d = Sample();
  DatasetExport yolo = ExportDataset(d, DatasetFormat::kYolo, "s3://b/", TimePoint{});
  EXPECT_EQ(yolo.files.count("labels/acme/2026/b.txt"), 1u);
  std::vector<std::pair<std::string, std::string>> images;
  for (const ExportedImage& i : yolo.images) {
    std::string label_file = "labels/" + i.key.substr(0, i.key.rfind('.')) + ".txt";
    images.emplace_back(i.path, yolo.files.at(label_file));
  }
  auto items = ParseYolo(yolo.files.at("classes.txt"), images, yolo.files.at("train.txt"),
                         yolo.files.at("test.txt"));
  ASSERT_TRUE(items.ok()) << items.status();
  auto filed = Filed(*items);
  ASSERT_EQ(filed.size(), 4u);
  EXPECT_EQ(std::get<0>(filed[1]), "acme/2026/b.jpg");
  EXPECT_EQ(std::get<2>(filed[1]), "test");
}

TEST(DatasetFormatsTest, RefusalsNameTheLineAndTheProblem) {
  auto refused = [](const Result<std::vector<ImportItem>>& r) {
    return r.ok() ? std::string("accepted") : r.status().message();
  };
  EXPECT_EQ(refused(ParseGroundTruth("{\"source-ref\":\"a/x.jpg\",\"l-metadata\":{\"class-name\":"
                                     "\"a\"}}\n{\"source-ref\":\"/etc/passwd\",\"l-metadata\":"
                                     "{\"class-name\":\"a\"}}")),
            "line 2: image path '/etc/passwd' must be relative");
  EXPECT_EQ(refused(ParseGroundTruth("[1]")), "line 1: not a JSON object");
  EXPECT_EQ(refused(ParseCoco("{\"images\":[],\"annotations\":[],\"categories\":[{\"id\":1,"
                              "\"name\":\"a\"},{\"id\":1,\"name\":\"b\"}]}")),
            "categories[1]: category id 1 appears twice");
  EXPECT_EQ(refused(ParseYolo("acme\n\nglobex\n", {{"images/x.jpg", "0 0.5 0.5 1 1"}}, "", ""))
                .substr(0, 19),
            "classes.txt line 2:");
  EXPECT_EQ(refused(ParseYolo("acme\n", {{"images/x.jpg", "3 0.5 0.5 1 1"}}, "", "")).substr(0, 22),
            "labels of images/x.jpg");
  EXPECT_EQ(refused(ParseFolder({"x.jpg"})).substr(0, 7), "x.jpg: ");
  std::vector<ImportItem> twice = {{"a/x.jpg", "acme", {}, "", "line 1"},
                                   {"b/x.jpg", "acme", {}, "", "line 2"}};
  EXPECT_EQ(ImportKeys(twice).status().message(),
            "line 2: would be stored as acme/x.jpg like line 1");
}

}  // namespace
}  // namespace loupe::ml
