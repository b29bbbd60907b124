#include "models/model_registry.h"

#include <gtest/gtest.h>

#include "models/testing.h"
#include "support/foundation.h"

namespace loupe::models {
namespace {

class ModelRegistryTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    registry_ = std::move(ModelRegistry::Open(*db_, clock_, *store_)).value();
    ASSERT_TRUE(testing::WriteFakeArtifact(dir_.path() / "artifact").ok());
  }
  std::unique_ptr<ModelRegistry> registry_;
};

TEST_F(ModelRegistryTest, ImportCopiesTheArtifactUnderModelsAndCompletesTheVersion) {
  auto v = registry_->ImportDirectory(dir_.path() / "artifact", "", "alice");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version.value(), "v1");
  EXPECT_EQ(v->status, VersionStatus::kTrainingCompleted);
  EXPECT_EQ(v->artifact_prefix, "models/v1/");
  EXPECT_EQ(v->summary["labels"], nlohmann::json({"blue", "green", "red"}));
  EXPECT_TRUE(store_->Head("models/v1/model.json").ok());
  EXPECT_TRUE(store_->Head("models/v1/evaluation.json").ok());

  auto history = registry_->History(v->version);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_FALSE((*history)[0].from.has_value());
  EXPECT_EQ((*history)[0].to, VersionStatus::kTraining);
  EXPECT_EQ((*history)[1].to, VersionStatus::kTrainingCompleted);
  EXPECT_EQ((*history)[1].actor, "alice");

  auto second = registry_->ImportDirectory(dir_.path() / "artifact", "", "alice");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version.value(), "v2");
  EXPECT_EQ(registry_->ImportDirectory(dir_.path() / "artifact", "v2", "a").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(registry_->ImportDirectory(dir_.path() / "artifact", "../x", "a").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ModelRegistryTest, ImportRefusesSomethingThatIsNotAnArtifact) {
  ASSERT_TRUE(store_->Put("uploads/x/model.json", "{\"format\":\"other\"}").ok());
  EXPECT_EQ(registry_->ImportFromStore("uploads/x", "", "a").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Put("uploads/y/readme.txt", "hi").ok());
  EXPECT_EQ(registry_->ImportFromStore("uploads/y/", "", "a").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->ImportFromStore("uploads/none/", "", "a").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, TransitionsAreCheckedTimestampedAndVersioned) {
  auto v = registry_->ImportDirectory(dir_.path() / "artifact", "prod-1", "a");
  ASSERT_TRUE(v.ok());
  clock_.Advance(std::chrono::seconds(30));
  auto bad = registry_->Transition(v->version, VersionStatus::kRunning, "", "a");
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  auto stale =
      registry_->Transition(v->version, VersionStatus::kStarting, "", "a", v->row_version - 1);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  auto starting =
      registry_->Transition(v->version, VersionStatus::kStarting, "go", "a", v->row_version);
  ASSERT_TRUE(starting.ok()) << starting.status();
  EXPECT_EQ(starting->row_version, v->row_version + 1);
  EXPECT_EQ(starting->updated_at, clock_.Now());
  EXPECT_EQ(starting->status_message, "go");
  auto history = registry_->History(v->version);
  EXPECT_EQ(history->back().at, clock_.Now());
  EXPECT_EQ(history->back().from, VersionStatus::kTrainingCompleted);
}

TEST_F(ModelRegistryTest, AliasPointsOnlyAtRunningVersionsAndKeepsHistory) {
  auto v = registry_->ImportDirectory(dir_.path() / "artifact", "", "a");
  ASSERT_TRUE(v.ok());
  auto set = [&](std::optional<VersionId> to) {
    return db_->Write([&](db::Transaction& tx) {
      return registry_->SetAlias(tx, kProductionAlias, to, "test", "a");
    });
  };
  EXPECT_EQ(set(v->version).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_->Transition(v->version, VersionStatus::kStarting, "", "a").ok());
  ASSERT_TRUE(registry_->Transition(v->version, VersionStatus::kRunning, "", "a").ok());
  ASSERT_TRUE(set(v->version).ok());
  EXPECT_EQ(*registry_->Alias(kProductionAlias), v->version);
  ASSERT_TRUE(set(std::nullopt).ok());
  EXPECT_FALSE(registry_->Alias(kProductionAlias)->has_value());
  auto history = registry_->AliasHistory(kProductionAlias);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].old_version, v->version);
  EXPECT_FALSE((*history)[0].new_version.has_value());
}

TEST_F(ModelRegistryTest, MaterializeWritesTheArtifactFiles) {
  auto v = registry_->ImportDirectory(dir_.path() / "artifact", "", "a");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(registry_->Materialize(v->version, dir_.path() / "out").ok());
  EXPECT_TRUE(ml::ReadArtifact(dir_.path() / "out").ok());
  auto training = registry_->CreateTraining("", "a");
  ASSERT_TRUE(training.ok());
  EXPECT_EQ(registry_->Materialize(training->version, dir_.path() / "out2").code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ModelRegistryTest, TrainingVersionsCompleteOrFailWithTheReason) {
  auto training = registry_->CreateTraining("", "workflow");
  ASSERT_TRUE(training.ok());
  EXPECT_EQ(training->status, VersionStatus::kTraining);
  auto done = registry_->CompleteTraining(training->version, dir_.path() / "artifact", "workflow");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, VersionStatus::kTrainingCompleted);
  EXPECT_EQ(done->summary["labels"].size(), 3u);
  EXPECT_TRUE(store_->Head("models/v1/model.json").ok());
  // Completing twice is refused by the lifecycle.
  EXPECT_EQ(
      registry_->CompleteTraining(training->version, dir_.path() / "artifact", "w").status().code(),
      StatusCode::kFailedPrecondition);

  auto broken = registry_->CreateTraining("", "workflow");
  ASSERT_TRUE(broken.ok());
  std::filesystem::create_directories(dir_.path() / "empty");
  auto not_an_artifact = registry_->CompleteTraining(broken->version, dir_.path() / "empty", "w");
  EXPECT_EQ(not_an_artifact.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_an_artifact.status().message().find("no model.json"), std::string::npos)
      << not_an_artifact.status();
  auto failed = registry_->Get(broken->version);
  EXPECT_EQ(failed->status, VersionStatus::kTrainingFailed);
  EXPECT_NE(failed->status_message.find("no model.json"), std::string::npos)
      << failed->status_message;
}

}  // namespace
}  // namespace loupe::models
