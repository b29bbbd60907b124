#include "params/parameter_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/temp_dir.h"
#include "db/open.h"
#include "db/testing.h"

namespace loupe::params {
namespace {

using nlohmann::json;

class ParameterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    params_.reset();
    events_.reset();
    db_.reset();
    db_ = std::move(db::OpenDatabase(database_)).value();
    events_ = std::move(events::EventLog::Open(*db_, clock_)).value();
    params_ = std::move(ParameterStore::Open(*db_, clock_, *events_)).value();
  }
  TempDir dir_;
  const std::string database_ = db::testing::FreshDatabase(dir_.path());  // reopened by Reopen
  FakeClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<ParameterStore> params_;
};

TEST(ParamType, NamesRoundTrip) {
  const std::vector<ParamType> types = kParamTypeNames.Values();
  ASSERT_EQ(static_cast<int>(types.size()), static_cast<int>(ParamType::kJson) + 1);
  for (int i = 0; i < static_cast<int>(types.size()); ++i) {
    EXPECT_EQ(types[i], static_cast<ParamType>(i));
  }
  for (ParamType t : types) {
    Result<ParamType> parsed = kParamTypeNames.Parse(ParamTypeName(t), "parameter type");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, t);
  }
  // The names shown in the API's parameter listing.
  EXPECT_EQ(ParamTypeName(ParamType::kBool), "boolean");
  EXPECT_EQ(ParamTypeName(ParamType::kInteger), "integer");
  EXPECT_EQ(ParamTypeName(ParamType::kNumber), "number");
  EXPECT_EQ(ParamTypeName(ParamType::kJson), "json");
  EXPECT_EQ(kParamTypeNames.Parse("bool", "parameter type").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ParameterStoreTest, StartsWithTheReplacedSolutionsDefaults) {
  EXPECT_TRUE(params_->GetBool(kEnableAutomaticTraining));
  EXPECT_EQ(params_->GetInt(kTrainingPollFrequency), 600);
  EXPECT_EQ(params_->GetInt(kMinimumUntrainedImages), 10);
  EXPECT_DOUBLE_EQ(params_->GetNumber(kMinimumF1Score), 0.8);
  EXPECT_EQ(params_->GetInt(kMinimumInferenceUnits), 1);
  EXPECT_DOUBLE_EQ(params_->GetNumber(kMinimumDetectionConfidence), 70.0);
  EXPECT_TRUE(params_->GetBool(kEnableA2IWorkflow));
  EXPECT_EQ(params_->GetJson(kSystemState), json::object());
  EXPECT_EQ(params_->List().size(), 8u);
  EXPECT_EQ(params_->Get(kMinimumF1Score)->version, 1);
}

TEST_F(ParameterStoreTest, SetVersionsRecordsHistoryAndEmitsEvent) {
  clock_.Advance(std::chrono::minutes(5));
  auto set = params_->Set(kMinimumF1Score, 0.85, "alice");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->version, 2);
  EXPECT_DOUBLE_EQ(params_->GetNumber(kMinimumF1Score), 0.85);

  auto history = params_->History(kMinimumF1Score);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[0].old_value, 0.8);
  EXPECT_EQ((*history)[0].new_value, 0.85);
  EXPECT_EQ((*history)[0].updated_by, "alice");
  EXPECT_EQ((*history)[1].version, 1);
  EXPECT_EQ((*history)[0].updated_at - (*history)[1].updated_at, std::chrono::minutes(5));

  auto page = events_->List(EventId(0), 10, events::EventKind::kParameterChanged);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].payload["name"], std::string(kMinimumF1Score));
  EXPECT_EQ(page->events[0].payload["new"], 0.85);
}

TEST_F(ParameterStoreTest, SameValueIsNotANewVersion) {
  ASSERT_TRUE(params_->Set(kMinimumInferenceUnits, 1, "bob").ok());
  EXPECT_EQ(params_->Get(kMinimumInferenceUnits)->version, 1);
  EXPECT_TRUE(events_->List(EventId(0), 10)->events.empty());
}

TEST_F(ParameterStoreTest, RejectsBadValuesAndKeepsTheStoredOne) {
  struct Case {
    std::string_view name;
    json value;
    std::string fragment;
  };
  const Case cases[] = {
      {kMinimumF1Score, 1.5, "[0, 1]"},
      {kMinimumF1Score, "0.9", "number"},
      {kEnableA2IWorkflow, "yes", "true or false"},
      {kEnableA2IWorkflow, "True", "true or false"},
      {kEnableA2IWorkflow, 1, "true or false"},
      {kMinimumInferenceUnits, 0, "[1, 64]"},
      {kMinimumInferenceUnits, 65, "[1, 64]"},
      {kMinimumInferenceUnits, 2.5, "integer"},
      {kTrainingPollFrequency, 10081, "[1, 10080]"},
      {kMinimumDetectionConfidence, -1, "[0, 100]"},
      {kMinimumUntrainedImages, nullptr, "integer"},
  };
  for (const Case& c : cases) {
    json before = params_->Get(c.name)->value;
    auto r = params_->Set(c.name, c.value, "mallory");
    ASSERT_FALSE(r.ok()) << c.name << " " << c.value;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status();
    EXPECT_EQ(params_->Get(c.name)->value, before);
  }
  EXPECT_EQ(params_->Set("No-Such-Parameter", 1, "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(params_->Set(kSystemState, json::object(), "x").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(params_->Set(kSystemState, {{"deployed", "v1"}}, "loupe", true).ok());
}

TEST_F(ParameterStoreTest, IntegralNumbersAreAcceptedForIntegerParameters) {
  ASSERT_TRUE(params_->Set(kMinimumInferenceUnits, 4.0, "ops").ok());
  EXPECT_EQ(params_->Get(kMinimumInferenceUnits)->value, json(4));
}

TEST_F(ParameterStoreTest, ValuesSurviveRestartAndDefaultsAreNotRewritten) {
  ASSERT_TRUE(params_->Set(kMinimumUntrainedImages, 25, "ops").ok());
  Reopen();
  EXPECT_EQ(params_->GetInt(kMinimumUntrainedImages), 25);
  EXPECT_EQ(params_->Get(kMinimumUntrainedImages)->version, 2);
  EXPECT_EQ(params_->History(kMinimumUntrainedImages)->size(), 2u);
}

TEST_F(ParameterStoreTest, ListenersSeeCommittedChangesOnly) {
  std::vector<std::string> seen;
  params_->Subscribe([&](const ParamValue& v) { seen.push_back(v.name); });
  ASSERT_TRUE(params_->Set(kEnableAutomaticTraining, false, "ops").ok());
  Status rolled_back = db_->Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(params_->Set(tx, kEnableA2IWorkflow, false, "ops").status());
    return AbortedError("no");
  });
  EXPECT_EQ(rolled_back, AbortedError("no"));  // the transaction's own status, unchanged
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], kEnableAutomaticTraining);
  EXPECT_TRUE(params_->GetBool(kEnableA2IWorkflow));
}

// A second store on the same database stands for another process: it sees a change once it
// refreshes, and tells its listeners once.
TEST_F(ParameterStoreTest, RefreshPicksUpChangesMadeByAnotherProcess) {
  auto other_db = std::move(db::OpenDatabase(database_)).value();
  auto other_events = std::move(events::EventLog::Open(*other_db, clock_)).value();
  auto other = std::move(ParameterStore::Open(*other_db, clock_, *other_events)).value();
  std::vector<int64_t> seen;
  other->Subscribe([&](const ParamValue& v) {
    if (v.name == kMinimumInferenceUnits) seen.push_back(v.value.get<int64_t>());
  });
  ASSERT_TRUE(params_->Set(kMinimumInferenceUnits, 3, "ops").ok());
  EXPECT_EQ(other->GetInt(kMinimumInferenceUnits), 1);  // not yet refreshed
  ASSERT_TRUE(other->Refresh().ok());
  EXPECT_EQ(other->GetInt(kMinimumInferenceUnits), 3);
  EXPECT_EQ(other->Get(kMinimumInferenceUnits)->version, 2);
  ASSERT_TRUE(other->Refresh().ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{3}));
  // And the other way round, through the other store's own change.
  ASSERT_TRUE(other->Set(kMinimumInferenceUnits, 2, "ops").ok());
  ASSERT_TRUE(params_->Refresh().ok());
  EXPECT_EQ(params_->GetInt(kMinimumInferenceUnits), 2);
  EXPECT_EQ(seen, (std::vector<int64_t>{3, 2}));
}

TEST_F(ParameterStoreTest, ConcurrentSettersProduceContiguousVersions) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(params_->Set(kTrainingPollFrequency, 100 + t * 10 + i, "t").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto history = params_->History(kTrainingPollFrequency);
  ASSERT_EQ(history->size(), 41u);
  for (size_t i = 0; i + 1 < history->size(); ++i) {
    EXPECT_EQ((*history)[i].version, (*history)[i + 1].version + 1);
    EXPECT_EQ((*history)[i].old_value, (*history)[i + 1].new_value);
  }
  EXPECT_EQ(params_->Get(kTrainingPollFrequency)->version, 41);
  EXPECT_EQ(params_->Get(kTrainingPollFrequency)->value, (*history)[0].new_value);
}

}  // namespace
}  // namespace loupe::params
