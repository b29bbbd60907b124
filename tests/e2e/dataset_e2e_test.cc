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

#include "core/temp_dir.h"
#include "support/server_process.h"

namespace loupe {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::RunCli;
using testing::ServerProcess;
namespace fs = std::filesystem;

fs::path Logogen() {
  return fs::path(std::getenv("LOUPE_SOURCE_DIR")) / ".." / "shared" / "logogen";
}

using Row = std::tuple<std::string, std::string, std::string>;  // label, sha256, split

class DatasetE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(Logogen() / "logogen.py")) << "needs ../shared/logogen";
    ASSERT_EQ(
        std::system(("bash " + (Logogen() / "setup.sh").string() + " >/dev/null 2>&1").c_str()), 0);
    ASSERT_EQ(std::system(("/usr/bin/python3 " + (Logogen() / "logogen.py").string() +
                           " generate --seed 9 --k 3 --train 5 --test 1 --none 0 --novel 0 --out " +
                           (dir_.path() / "gen").string() + " >/dev/null")
                              .c_str()),
              0);
    source_ = std::make_unique<ServerProcess>((dir_.path() / "a").string());
    target_ = std::make_unique<ServerProcess>((dir_.path() / "b").string());
    ASSERT_TRUE(source_->Start().ok());
    ASSERT_TRUE(target_->Start().ok());
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
      rows.insert({i["Label"].get<std::string>(), i["Sha256"].get<std::string>(),
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
  EXPECT_NE(in.out.find("imported 15 images"), std::string::npos) << in.out;
  std::multiset<Row> original = Rows(*source_);
  ASSERT_EQ(original.size(), 15u);
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

  // The first import into the empty target brings the splits along; each further format is
  // the same content (nothing new) and the dataset stays the source's.
  std::vector<std::pair<std::string, fs::path>> inputs = {
      {"groundtruth", dir_.path() / "groundtruth" / "manifest.jsonl"},
      {"coco", dir_.path() / "coco" / "annotations.json"},
      {"yolo", dir_.path() / "yolo"},
      {"folder", dir_.path() / "folder"}};
  for (const auto& [format, path] : inputs) {
    CommandResult r = Cli(*target_, {"dataset", "import", "--format", format, path.string()});
    ASSERT_EQ(r.exit_code, 0) << format << ": " << r.err;
    EXPECT_EQ(Rows(*target_), original) << "after importing " << format;
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
  EXPECT_EQ(Rows(*target_), before);  // nothing imported half-way
}

}  // namespace
}  // namespace loupe
