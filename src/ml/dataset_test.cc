#include "ml/dataset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "core/temp_dir.h"
#include "store/object_store.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// An in-memory ObjectStore, enough for listing and reading.
class MemStore final : public store::ObjectStore {
 public:
  Result<store::ObjectInfo> Put(std::string_view key, std::string_view bytes) override {
    objects_[std::string(key)] = std::string(bytes);
    return Head(key);
  }
  Result<std::string> Get(std::string_view key) const override {
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFoundError(std::string(key));
    return it->second;
  }
  Result<store::ObjectInfo> Head(std::string_view key) const override {
    ASSIGN_OR_RETURN(std::string bytes, Get(key));
    store::ObjectInfo info;
    info.key = std::string(key);
    info.size = static_cast<int64_t>(bytes.size());
    info.sha256 = Sha256Hex(bytes);
    return info;
  }
  Result<store::ListPage> List(std::string_view prefix, std::string_view token,
                               int max_keys) const override {
    store::ListPage page;
    for (auto it = objects_.upper_bound(std::string(token)); it != objects_.end(); ++it) {
      if (it->first.rfind(prefix, 0) != 0) continue;
      if (static_cast<int>(page.objects.size()) == max_keys) {
        page.next_page_token = page.objects.back().key;
        break;
      }
      page.objects.push_back(*Head(it->first));
    }
    return page;
  }
  Status Delete(std::string_view key) override {
    return objects_.erase(std::string(key)) ? Status::Ok() : NotFoundError(std::string(key));
  }
  Result<store::ObjectInfo> Copy(std::string_view from, std::string_view to) override {
    ASSIGN_OR_RETURN(std::string bytes, Get(from));
    return Put(to, bytes);
  }
  Result<store::ObjectInfo> RegisterStorageKey(std::string_view key) override { return Head(key); }

 private:
  std::map<std::string, std::string> objects_;
};

TEST(Dataset, ValidatesLabels) {
  EXPECT_TRUE(ValidateLabel("coca cola").ok());
  EXPECT_TRUE(ValidateLabel("Café-Logo_2").ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "_none", "_x", ".hidden", "a/b", "a\\b", "a..b", "tab\there",
                                "   ", std::string(129, 'a')}) {
    EXPECT_EQ(ValidateLabel(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Dataset, SplitScoreReadsTheFirst64Bits) {
  EXPECT_DOUBLE_EQ(SplitScore(std::string(64, '0')), 0.0);
  EXPECT_DOUBLE_EQ(SplitScore("8" + std::string(63, '0')), 0.5);
  EXPECT_DOUBLE_EQ(SplitScore("4" + std::string(63, '0')), 0.25);
  EXPECT_DOUBLE_EQ(SplitScore("c8" + std::string(62, '0')), 0.78125);
}

TEST(Dataset, LoadsDirectoryDeduplicatesAndSplits) {
  TempDir dir;
  for (int i = 0; i < 20; ++i) {
    WriteFile(dir.path() / "acme" / ("a" + std::to_string(i) + ".jpg"), "acme" + std::to_string(i));
    WriteFile(dir.path() / "globex" / ("g" + std::to_string(i) + ".jpg"),
              "globex" + std::to_string(i));
  }
  WriteFile(dir.path() / "globex" / "copy.jpg", "acme3");  // duplicate content
  WriteFile(dir.path() / "_none" / "n1.jpg", "none1");
  WriteFile(dir.path() / "_trash" / "t.jpg", "trash");
  WriteFile(dir.path() / "loose.jpg", "loose");
  WriteFile(dir.path() / "acme" / ".DS_Store", "junk");
  auto src = OpenDirectorySource(dir.path());
  ASSERT_TRUE(src.ok()) << src.status();
  Result<Dataset> ds = LoadDataset(**src);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->labels, (std::vector<std::string>{"acme", "globex"}));
  EXPECT_EQ(ds->images.size(), 41u);  // 40 + _none; copy, reserved, loose and hidden skipped
  EXPECT_EQ(ds->warnings.size(), 3u);
  for (const std::string label : {"acme", "globex"}) {
    EXPECT_GE(ds->Count(label, Split::kTest), 1);
    EXPECT_GE(ds->Count(label, Split::kTrain), 1);
  }
  for (const DatasetImage& img : ds->images) {
    if (img.label == "_none") continue;
    bool fixed_up = (img.split == Split::kTest) != (SplitScore(img.sha256) < 0.2);
    EXPECT_FALSE(fixed_up && ds->Count(img.label, Split::kTest) > 1) << img.key;
  }
  Result<Dataset> again = LoadDataset(**src);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < ds->images.size(); ++i)
    EXPECT_EQ(ds->images[i].split, again->images[i].split);
}

TEST(Dataset, EveryLabelWithTwoImagesGetsATestAndATrainImage) {
  TempDir dir;
  WriteFile(dir.path() / "one" / "a.jpg", "only");
  for (int i = 0; i < 2; ++i)
    WriteFile(dir.path() / "two" / (std::to_string(i) + ".jpg"), "two" + std::to_string(i));
  for (int i = 0; i < 3; ++i)
    WriteFile(dir.path() / "three" / (std::to_string(i) + ".jpg"), "3-" + std::to_string(i));
  auto src = OpenDirectorySource(dir.path());
  ASSERT_TRUE(src.ok());
  for (double frac : {0.0, 0.2, 0.99}) {
    DatasetOptions opt;
    opt.test_fraction = frac;
    Result<Dataset> ds = LoadDataset(**src, opt);
    ASSERT_TRUE(ds.ok()) << ds.status();
    EXPECT_EQ(ds->Count("one", Split::kTrain), 1);
    EXPECT_EQ(ds->Count("two", Split::kTrain), 1);
    EXPECT_EQ(ds->Count("two", Split::kTest), 1);
    EXPECT_GE(ds->Count("three", Split::kTest), 1);
    EXPECT_GE(ds->Count("three", Split::kTrain), 1);
  }
}

TEST(Dataset, PinnedImagesNeverMoveAcrossVersions) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) {
    WriteFile(dir.path() / "a" / (std::to_string(i) + ".jpg"), "a" + std::to_string(i));
    WriteFile(dir.path() / "b" / (std::to_string(i) + ".jpg"), "b" + std::to_string(i));
  }
  auto src = OpenDirectorySource(dir.path());
  ASSERT_TRUE(src.ok());
  Result<Dataset> v1 = LoadDataset(**src);
  ASSERT_TRUE(v1.ok());
  std::string manifest = WriteManifest(*v1, **src, FakeClock().Now());
  for (int i = 3; i < 40; ++i) {
    WriteFile(dir.path() / "a" / (std::to_string(i) + ".jpg"), "a" + std::to_string(i));
  }
  auto pins = ReadManifestSplits(manifest);
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_EQ(pins->size(), 6u);
  DatasetOptions opt;
  opt.pinned = *pins;
  Result<Dataset> v2 = LoadDataset(**src, opt);
  ASSERT_TRUE(v2.ok());
  int checked = 0;
  for (const DatasetImage& img : v2->images) {
    auto it = pins->find(img.sha256);
    if (it == pins->end()) continue;
    EXPECT_EQ(img.split, it->second) << img.key;
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Dataset, RefusesFewerThanTwoLabelsAndEmptyLabels) {
  TempDir dir;
  WriteFile(dir.path() / "solo" / "a.jpg", "a");
  WriteFile(dir.path() / "_none" / "n.jpg", "n");
  auto src = OpenDirectorySource(dir.path());
  ASSERT_TRUE(src.ok());
  Result<Dataset> one = LoadDataset(**src);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(one.status().message().find("at least 2 labels"), std::string::npos);
  fs::create_directories(dir.path() / "empty");
  Result<Dataset> empty = LoadDataset(**src);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(empty.status().message().find("label 'empty' has no images"), std::string::npos)
      << empty.status();
  fs::create_directories(dir.path() / "bad..name");
  EXPECT_EQ(LoadDataset(**src).status().code(), StatusCode::kInvalidArgument);
}

TEST(Dataset, ReadsFromObjectStoreAndWritesGroundTruthManifest) {
  MemStore store;
  ASSERT_TRUE(store.Put("images_labeled_by_folder/acme/1.jpg", "x1").ok());
  ASSERT_TRUE(store.Put("images_labeled_by_folder/acme/2.jpg", "x2").ok());
  ASSERT_TRUE(store.Put("images_labeled_by_folder/globex/1.jpg", "y1").ok());
  ASSERT_TRUE(store.Put("images_labeled_by_folder/_none/1.jpg", "z1").ok());
  ASSERT_TRUE(store.Put("images_for_detection/q.jpg", "q").ok());
  auto src = MakeObjectStoreSource(store);
  Result<Dataset> ds = LoadDataset(*src);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->images.size(), 4u);
  std::string manifest = WriteManifest(*ds, *src, FakeClock().Now());
  std::istringstream in(manifest);
  std::string line;
  std::getline(in, line);  // "_none/1.jpg" sorts first
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["source-ref"], "s3://loupe/images_labeled_by_folder/_none/1.jpg");
  EXPECT_EQ(j["loupe-label"], 2);
  std::getline(in, line);
  j = nlohmann::json::parse(line);
  EXPECT_EQ(j["source-ref"], "s3://loupe/images_labeled_by_folder/acme/1.jpg");
  EXPECT_EQ(j["loupe-label"], 0);
  const nlohmann::json& meta = j["loupe-label-metadata"];
  EXPECT_EQ(meta["class-name"], "acme");
  EXPECT_EQ(meta["human-annotated"], "yes");
  EXPECT_EQ(meta["type"], "groundtruth/image-classification");
  EXPECT_EQ(meta["creation-date"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(j["loupe-sha256"], Sha256Hex("x1"));
  EXPECT_TRUE(j["loupe-split"] == "train" || j["loupe-split"] == "test");
}

}  // namespace
}  // namespace loupe::ml
