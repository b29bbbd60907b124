// Dataset import and export (issue 15) with the real binary: labelled logogen images imported
// as a folder tree into one loupe, exported in every format, and each exportable-and-importable
// format imported into a second loupe gives the same dataset (labels, content hashes, splits).
// Hostile inputs — a path with "..", an unknown COCO category, broken JSON, a million lines —
// get an error naming the line or entry, and import nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/file.h"
#include "core/temp_dir.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::LogogenDir;
using testing::RunCli;
using testing::ServerProcess;
namespace fs = std::filesystem;

using Row = std::tuple<std::string, std::string, std::string>;  // <label>/<path>, sha256, split

class DatasetE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(LogogenDir() / "logogen.py")) << "needs ../shared/logogen";
    ASSERT_EQ(
        std::system(("bash " + (LogogenDir() / "setup.sh").string() + " >/dev/null 2>&1").c_str()),
        0);
    ASSERT_EQ(std::system(("/usr/bin/python3 " + (LogogenDir() / "logogen.py").string() +
                           " generate --seed 9 --k 3 --train 5 --test 1 --none 0 --novel 0 --out " +
                           (dir_.path() / "gen").string() + " >/dev/null")
                              .c_str()),
              0);
    // A nested key and a negative (_none/) travel too.
    fs::path train = dir_.path() / "gen" / "train";
    fs::path first = fs::directory_iterator(fs::directory_iterator(train)->path())->path();
    fs::create_directories(first.parent_path() / "2026");
    fs::rename(first, first.parent_path() / "2026" / first.filename());
    fs::create_directories(train / "_none");
    std::ofstream(train / "_none" / "no-logo.jpg", std::ios::binary)
        << ReadFile(first.parent_path() / "2026" / first.filename()).value_or("") << "not a logo";
    source_ = std::make_unique<ServerProcess>((dir_.path() / "a").string());
    target_ = std::make_unique<ServerProcess>((dir_.path() / "b").string());
    ASSERT_TRUE(source_->Start().ok());
    ASSERT_TRUE(target_->Start().ok());
  }

  // Keys under `prefix` in `s`'s store.
  std::vector<std::string> Keys(const ServerProcess& s, const std::string& prefix) {
    auto r = s.Client()->Send("GET", "/v1/objects?prefix=" + prefix);
    std::vector<std::string> keys;
    EXPECT_TRUE(r.ok() && r->status == 200);
    if (!r.ok() || r->status != 200) return keys;
    json listing = json::parse(r->body);
    for (const json& o : listing["objects"]) keys.push_back(o["key"].get<std::string>());
    return keys;
  }

  CommandResult Cli(const ServerProcess& s, std::vector<std::string> args) {
    CommandResult r = RunCli(s.url(), args);
    return r;
  }

  // The dataset as the server would train on it.
  std::multiset<Row> Rows(const ServerProcess& s) {
    auto r = s.Client()->Send("GET", "/v1/dataset/export?format=groundtruth");
    std::multiset<Row> rows;
    // An empty dataset (fewer than two labels) has no split to export: no rows.
    if (r.ok() && r->status == 409) return rows;
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    if (!r.ok() || r->status != 200) return rows;
    json listing = json::parse(r->body);
    for (const json& i : listing["Images"]) {
      rows.insert({i["Key"].get<std::string>(), i["Sha256"].get<std::string>(),
                   i["Split"].get<std::string>()});
    }
    return rows;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> source_;
  std::unique_ptr<ServerProcess> target_;
};

TEST_F(DatasetE2E, ExportThenImportGivesTheSameDataset) {
  CommandResult in = Cli(*source_, {"dataset", "import", "--format", "folder",
                                    (dir_.path() / "gen" / "train").string()});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(in.out.find("imported 16 images"), std::string::npos) << in.out;
  std::multiset<Row> original = Rows(*source_);
  ASSERT_EQ(original.size(), 16u);
  std::set<std::string> splits;
  for (const Row& r : original) splits.insert(std::get<2>(r));
  EXPECT_EQ(splits, (std::set<std::string>{"test", "train"}));

  for (const char* format : {"groundtruth", "coco", "yolo", "folder", "labelstudio"}) {
    CommandResult out = Cli(*source_, {"dataset", "export", "--format", format, "--out",
                                       (dir_.path() / format).string()});
    ASSERT_EQ(out.exit_code, 0) << format << ": " << out.err;
  }
  EXPECT_TRUE(fs::exists(dir_.path() / "groundtruth" / "manifest.jsonl"));
  EXPECT_TRUE(fs::exists(dir_.path() / "coco" / "annotations.json"));
  EXPECT_TRUE(fs::exists(dir_.path() / "yolo" / "classes.txt"));
  EXPECT_TRUE(fs::exists(dir_.path() / "labelstudio" / "labelstudio.json"));

  // Each importable format, into a loupe of its own, gives the source's dataset: the same
  // keys (nested ones and _none/ included), contents and splits; nothing left staged.
  std::vector<std::pair<std::string, fs::path>> inputs = {
      {"groundtruth", dir_.path() / "groundtruth" / "manifest.jsonl"},
      {"coco", dir_.path() / "coco" / "annotations.json"},
      {"yolo", dir_.path() / "yolo"},
      {"folder", dir_.path() / "folder"}};
  for (const auto& [format, path] : inputs) {
    ServerProcess fresh((dir_.path() / ("into-" + format)).string());
    ASSERT_TRUE(fresh.Start().ok());
    CommandResult r = Cli(fresh, {"dataset", "import", "--format", format, path.string()});
    ASSERT_EQ(r.exit_code, 0) << format << ": " << r.err;
    EXPECT_EQ(Rows(fresh), original) << "after importing " << format;
    EXPECT_TRUE(Keys(fresh, "imports/").empty()) << format;
    // Again: nothing new.
    r = Cli(fresh, {"dataset", "import", "--format", format, path.string()});
    ASSERT_EQ(r.exit_code, 0) << format << ": " << r.err;
    EXPECT_NE(r.out.find("imported 0 images (16 already there)"), std::string::npos) << r.out;
  }
}

TEST_F(DatasetE2E, HostileInputsAreRefusedWholeWithTheLineAndTheProblem) {
  fs::path bad = dir_.path() / "bad";
  fs::create_directories(bad / "images");
  fs::copy(dir_.path() / "gen" / "train", bad / "images", fs::copy_options::recursive);
  std::string good_image;
  for (const auto& e : fs::recursive_directory_iterator(bad / "images")) {
    if (e.is_regular_file()) good_image = fs::relative(e.path(), bad).generic_string();
  }
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(bad / name) << text;
    return (bad / name).string();
  };
  std::string ok_line =
      "{\"source-ref\":\"" + good_image + "\",\"logo-metadata\":{\"class-name\":\"acme\"}}\n";
  struct Case {
    std::string format, file, expect;
  };
  std::string million;
  million.reserve(64u << 20);
  for (int i = 0; i < 1000000; ++i) million += ok_line;
  std::vector<Case> cases = {
      {"groundtruth",
       write("dotdot.jsonl", ok_line + "{\"source-ref\":\"s3://b/../../etc/passwd\","
                                       "\"logo-metadata\":{\"class-name\":\"acme\"}}\n"),
       "line 2: image path '../../etc/passwd'"},
      {"groundtruth", write("broken.jsonl", ok_line + ok_line + "{\"source-ref\": \n"),
       "line 3: not a JSON object"},
      {"groundtruth", write("nolabel.jsonl", ok_line + "{\"source-ref\":\"" + good_image + "\"}\n"),
       "line 2: no \"<attribute>-metadata\""},
      {"groundtruth",
       write("badlabel.jsonl", ok_line + "{\"source-ref\":\"" + good_image +
                                   "\",\"x-metadata\":{\"class-name\":\"a/b\"}}\n"),
       "line 2: label 'a/b'"},
      {"groundtruth",
       write("missing.jsonl", ok_line + "{\"source-ref\":\"images/none.jpg\","
                                        "\"x-metadata\":{\"class-name\":\"acme\"}}\n"),
       "line 2: cannot read"},
      {"groundtruth", write("million.jsonl", million), "line 200001: more than 200000 images"},
      {"coco",
       write("coco.json", "{\"images\":[{\"id\":1,\"file_name\":\"" + good_image +
                              "\"}],\"annotations\":[{\"image_id\":1,\"category_id\":7}],"
                              "\"categories\":[{\"id\":1,\"name\":\"acme\"}]}"),
       "annotations[0]: unknown category_id 7"},
  };
  std::multiset<Row> before = Rows(*target_);
  for (const Case& c : cases) {
    CommandResult r = Cli(*target_, {"dataset", "import", "--format", c.format, c.file});
    EXPECT_NE(r.exit_code, 0) << c.file;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.file << ": " << r.err;
  }
  // The route refuses the same way: a manifest naming an object that is not there.
  auto route =
      target_->Client()->Send("POST", "/v1/dataset/import",
                              json({{"Format", "groundtruth"},
                                    {"Manifest",
                                     "{\"source-ref\":\"s3://loupe/images_for_detection/gone.jpg\","
                                     "\"a-metadata\":{\"class-name\":\"x\"}}"}})
                                  .dump());
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->status, 400) << route->body;
  EXPECT_NE(route->body.find("line 1"), std::string::npos) << route->body;
  EXPECT_EQ(Rows(*target_), before);
  // Nothing imported half-way, nothing left staged.
  EXPECT_TRUE(Keys(*target_, "images_labeled_by_folder/").empty());
  EXPECT_TRUE(Keys(*target_, "imports/").empty());

  // A refusal only the server can make (the target holds other content) comes after staging:
  // the staged files go again.
  for (const char* tree : {"tree1", "tree2"}) fs::create_directories(bad / tree / "acme");
  std::ofstream(bad / "tree1" / "acme" / "x.jpg") << "one";
  std::ofstream(bad / "tree2" / "acme" / "x.jpg") << "two";
  CommandResult first =
      Cli(*target_, {"dataset", "import", "--format", "folder", (bad / "tree1").string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CommandResult clash =
      Cli(*target_, {"dataset", "import", "--format", "folder", (bad / "tree2").string()});
  EXPECT_NE(clash.exit_code, 0);
  EXPECT_NE(clash.err.find("exists with other content"), std::string::npos) << clash.err;
  EXPECT_TRUE(Keys(*target_, "imports/").empty());
  EXPECT_EQ(Keys(*target_, "images_labeled_by_folder/"),
            std::vector<std::string>{"images_labeled_by_folder/acme/x.jpg"});
}

}  // namespace
}  // namespace loupe
