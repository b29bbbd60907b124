// Drop-in for the replaced AWS solution (issue 15), proven with the real clients: Debian's aws
// CLI and boto3 run the replaced solution's own kind of scripts (tests/e2e/aws/) against a
// running loupe, signing with AWS keys that `loupe tokens create --aws --json` made for loupe
// users (an admin, a consumer, and one revoked). The CLI script lowers the thresholds in SSM,
// copies labelled logogen images into the bucket, trains and starts a project version, uploads
// an image for detection and calls DetectCustomLabels; the boto3 script detects from bytes,
// walks a human loop's life, reads and writes parameters and exercises S3. Both check the
// refusals an SDK user meets. This harness then checks loupe's side: the version trained from
// the bucket is production and both uploads were detected by the loop.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
using testing::SourceDir;
using testing::WaitFor;
namespace fs = std::filesystem;

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

class AwsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"/usr/bin/aws", "/usr/bin/python3"}) {
      ASSERT_TRUE(fs::exists(tool)) << tool << " missing: run scripts/setup.sh";
    }
    ASSERT_EQ(Shell("/usr/bin/python3 -c 'import boto3' 2>/dev/null"), 0)
        << "python3-boto3 missing: run scripts/setup.sh";
    ASSERT_TRUE(fs::exists(LogogenDir() / "logogen.py")) << "needs ../shared/logogen";
    ASSERT_EQ(Shell("bash " + (LogogenDir() / "setup.sh").string() + " >" +
                    (dir_.path() / "logogen-setup.log").string() + " 2>&1"),
              0);
    // Three logos, six training images each, two held-out test images each.
    ASSERT_EQ(Shell("/usr/bin/python3 " + (LogogenDir() / "logogen.py").string() +
                    " generate --seed 15 --k 3 --train 6 --test 2 --none 0 --novel 0 --out " +
                    (dir_.path() / "gen").string() + " >/dev/null"),
              0);
    for (const auto& label : fs::directory_iterator(dir_.path() / "gen" / "test")) {
      for (const auto& image : fs::directory_iterator(label.path())) {
        test_images_.emplace_back(image.path(), label.path().filename().string());
      }
    }
    ASSERT_GE(test_images_.size(), 2u);
    for (const auto& f : fs::recursive_directory_iterator(dir_.path() / "gen" / "train")) {
      train_images_ += f.is_regular_file() ? 1 : 0;
    }
    server_ = std::make_unique<ServerProcess>((dir_.path() / "data").string());
    ASSERT_TRUE(server_->Start().ok());
  }

  // An AWS key pair of `user` (created with `role` unless it is the admin), via the CLI.
  json AwsKey(const std::string& user, const std::string& role) {
    if (user != "admin") {
      CommandResult u = RunCli(server_->url(), {"users", "add", user, "--role", role},
                               {{"LOUPE_NEW_PASSWORD", user + "-password"}});
      EXPECT_EQ(u.exit_code, 0) << u.err;
    }
    CommandResult t = RunCli(server_->url(), {"tokens", "create", "--name", user + "-aws", "--user",
                                              user, "--aws", "--json"});
    EXPECT_EQ(t.exit_code, 0) << t.err;
    json key = json::parse(t.out, nullptr, false);
    EXPECT_TRUE(key.is_object() && key.contains("AccessKeyId") && key.contains("SecretAccessKey"))
        << t.out;
    return key;
  }

  // ~/.aws of the scripts: one profile per key.
  void WriteAwsConfig(const std::map<std::string, json>& profiles) {
    fs::create_directories(home() / ".aws");
    std::ofstream creds(home() / ".aws" / "credentials");
    std::ofstream config(home() / ".aws" / "config");
    for (const auto& [name, key] : profiles) {
      creds << "[" << name << "]\naws_access_key_id = " << key["AccessKeyId"].get<std::string>()
            << "\naws_secret_access_key = " << key["SecretAccessKey"].get<std::string>() << "\n";
      config << (name == "default" ? "[default]" : "[profile " + name + "]")
             << "\nregion = us-east-1\noutput = json\n";
    }
  }

  // Runs `command` with the scripts' environment in the work dir; returns its exit code and
  // output (also printed, so a failure shows every check that ran).
  std::pair<int, std::string> Run(const std::string& command, const std::string& extra_env) {
    fs::path log = dir_.path() / "script.log";
    std::string env = "env -i PATH=/usr/bin:/bin HOME=" + home().string() +
                      " LOUPE_ENDPOINT=" + server_->url() +
                      " AWS_EC2_METADATA_DISABLED=true "
                      "AWS_PAGER= WAIT_SECONDS=600 " +
                      extra_env;
    int rc = Shell("cd " + dir_.path().string() + " && " + env + " " + command + " >" +
                   log.string() + " 2>&1");
    std::string out = ReadFile(log).value_or("");
    std::printf("%s\n", out.c_str());
    return {WEXITSTATUS(rc), out};
  }

  json Get(const std::string& path) {
    auto r = server_->Client()->Send("GET", path);
    return r.ok() && r->status == 200 ? json::parse(r->body) : json();
  }

  fs::path home() const { return dir_.path() / "home"; }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::pair<fs::path, std::string>> test_images_;  // image, its label
  int train_images_ = 0;
};

TEST_F(AwsE2E, TheReplacedSolutionsScriptsRunUnchangedButForTheEndpoint) {
  json admin = AwsKey("admin", "admin");
  json consumer = AwsKey("shop-frontend", "consumer");
  json revoked = AwsKey("former-ops", "operator");
  CommandResult r = RunCli(server_->url(), {"tokens", "revoke", revoked["Id"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  WriteAwsConfig({{"default", admin}, {"consumer", consumer}, {"revoked", revoked}});

  const auto& [upload, upload_label] = test_images_[0];
  auto [cli_rc, cli_out] =
      Run("bash " + (SourceDir() / "tests/e2e/aws/migration_cli.sh").string(),
          "TRAIN_DIR=" + (dir_.path() / "gen" / "train").string() +
              " UPLOAD_IMAGE=" + upload.string() + " UPLOAD_LABEL=" + upload_label);
  ASSERT_EQ(cli_rc, 0) << "the aws CLI script failed (its output is above)";
  size_t at = cli_out.find("VERSION_ARN=");
  ASSERT_NE(at, std::string::npos);
  std::string version_arn = cli_out.substr(at + 12, cli_out.find('\n', at) - at - 12);

  const auto& [test_image, test_label] = test_images_[1];
  auto [py_rc, py_out] =
      Run("/usr/bin/python3 " + (SourceDir() / "tests/e2e/aws/migration_boto3.py").string(),
          "VERSION_ARN=" + version_arn + " TEST_IMAGE=" + test_image.string() +
              " TEST_LABEL=" + test_label + " TRAIN_IMAGES=" + std::to_string(train_images_));
  ASSERT_EQ(py_rc, 0) << "the boto3 script failed (its output is above)";

  // loupe's side: the version trained from the bucket serves production, and both uploads
  // (aws s3 cp, boto3 put_object) went through the detection workflow.
  EXPECT_EQ(Get("/v1/endpoints/production").value("version", ""), "migrated-v1");
  EXPECT_TRUE(WaitFor(
      [&] { return Get("/v1/objects/detection_results/boto3-upload.jpg.json").is_object(); },
      std::chrono::seconds(60)));
  json params = Get("/v1/parameters/Minimum-Label-Detection-Confidence");
  EXPECT_EQ(params.value("updated_by", ""), "admin") << params.dump();
}

}  // namespace
}  // namespace loupe
