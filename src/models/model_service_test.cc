#include "models/model_service.h"

#include <gtest/gtest.h>

#include <future>

#include "models/testing.h"
#include "support/foundation.h"

namespace loupe::models {
namespace {

using namespace std::chrono_literals;

class ModelServiceTest : public loupe::testing::FoundationTest {
 protected:
  void SetUp() override {
    registry_ = std::move(ModelRegistry::Open(*db_, clock_, *store_)).value();
    ASSERT_TRUE(testing::WriteFakeArtifact(dir_.path() / "artifact").ok());
    MakeService();
  }
  void MakeService() {
    service_.reset();
    ServiceOptions options;
    options.cache_dir = dir_.path() / "cache";
    options.pool = {4, 5000ms};
    service_ = std::move(ModelService::Create(*registry_, params_.get(), clock_, loader_.Loader(),
                                              options))
                   .value();
  }
  VersionId Import() {
    auto v = registry_->ImportDirectory(dir_.path() / "artifact", "", "test");
    EXPECT_TRUE(v.ok()) << v.status();
    return v->version;
  }
  VersionStatus StatusOf(const VersionId& v) { return registry_->Get(v)->status; }
  // One prediction through a lease: returns the version that answered, or the error.
  static Result<std::string> DetectOnce(ModelService& service) {
    ASSIGN_OR_RETURN(Lease lease, service.Acquire());
    auto done = std::make_shared<std::promise<Status>>();
    auto future = done->get_future();
    RETURN_IF_ERROR(lease.pool().Submit([done](const ml::Predictor& p, int) {
      ml::Image im{64, 64, std::vector<uint8_t>(64 * 64 * 3, 200)};
      done->set_value(p.PredictBatch({&im}).status());
    }));
    RETURN_IF_ERROR(future.get());
    return lease.version().value();
  }

  testing::FakeLoader loader_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<ModelService> service_;
};

TEST_F(ModelServiceTest, StartLoadsSmokeTestsThenRuns) {
  VersionId v = Import();
  ASSERT_TRUE(params_->Set(params::kMinimumInferenceUnits, 2, "test").ok());
  auto started = service_->Start(v, "alice");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->status, VersionStatus::kRunning);
  EXPECT_GE(loader_.backbone->calls.load(), 1);  // the smoke inference
  auto serving = service_->Serving();
  ASSERT_EQ(serving.size(), 1u);
  EXPECT_EQ(serving[0].pool.units, 2);
  EXPECT_FALSE(serving[0].production);
  auto history = registry_->History(v);
  ASSERT_GE(history->size(), 4u);
  EXPECT_EQ((*history)[2].to, VersionStatus::kStarting);
  EXPECT_EQ((*history)[3].to, VersionStatus::kRunning);
  // Started but not deployed: detection by version works, production has nothing.
  EXPECT_TRUE(service_->Acquire(v).ok());
  EXPECT_EQ(service_->Acquire().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(service_->Acquire().status().message().find("no model is deployed"), std::string::npos);
}

TEST_F(ModelServiceTest, LoadFailureMarksFailedWithTheReasonAndCanBeRetried) {
  VersionId v = Import();
  loader_.fail_load->store(true);
  auto started = service_->Start(v, "a");
  EXPECT_EQ(started.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusOf(v), VersionStatus::kFailed);
  EXPECT_NE(registry_->Get(v)->status_message.find("fake load failure"), std::string::npos);
  loader_.fail_load->store(false);
  ASSERT_TRUE(service_->Start(v, "a").ok());
  EXPECT_EQ(StatusOf(v), VersionStatus::kRunning);
}

TEST_F(ModelServiceTest, SmokeFailureMarksFailed) {
  VersionId v = Import();
  loader_.backbone->fail = true;
  auto started = service_->Start(v, "a");
  // The backbone's own error, with where it happened.
  EXPECT_EQ(started.status().code(), StatusCode::kInternal);
  EXPECT_NE(started.status().message().find("smoke inference"), std::string::npos)
      << started.status();
  EXPECT_NE(started.status().message().find("fake backbone failure"), std::string::npos)
      << started.status();
  EXPECT_EQ(StatusOf(v), VersionStatus::kFailed);
  EXPECT_NE(registry_->Get(v)->status_message.find("smoke inference"), std::string::npos);
  EXPECT_TRUE(service_->Serving().empty());
}

TEST_F(ModelServiceTest, BlueGreenSwitchesTheAliasAndStopsBlue) {
  VersionId v1 = Import();
  VersionId v2 = Import();
  ASSERT_TRUE(service_->Deploy(v1, "a").ok());
  EXPECT_EQ(service_->Production(), v1);
  EXPECT_EQ(*DetectOnce(*service_), "v1");
  ASSERT_TRUE(service_->Deploy(v2, "a").ok());
  EXPECT_EQ(service_->Production(), v2);
  EXPECT_EQ(*registry_->Alias(kProductionAlias), v2);
  EXPECT_EQ(StatusOf(v1), VersionStatus::kStopped);
  EXPECT_EQ(StatusOf(v2), VersionStatus::kRunning);
  EXPECT_EQ(*DetectOnce(*service_), "v2");
  EXPECT_EQ(params_->GetJson(params::kSystemState)["deployed_version"], "v2");
  auto history = registry_->AliasHistory(kProductionAlias);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].old_version, v1);
  EXPECT_EQ((*history)[0].new_version, v2);
  ASSERT_EQ(service_->Serving().size(), 1u);
}

TEST_F(ModelServiceTest, AFailedGreenLeavesBlueServing) {
  VersionId v1 = Import();
  VersionId v2 = Import();
  ASSERT_TRUE(service_->Deploy(v1, "a").ok());
  loader_.fail_load->store(true);
  Status s = service_->Deploy(v2, "a");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);  // the loader's, passed through
  EXPECT_NE(s.message().find("fake load failure"), std::string::npos) << s;
  EXPECT_NE(s.message().find("v1 keeps serving"), std::string::npos) << s;
  EXPECT_EQ(service_->Production(), v1);
  EXPECT_EQ(StatusOf(v1), VersionStatus::kRunning);
  EXPECT_EQ(StatusOf(v2), VersionStatus::kFailed);
  EXPECT_EQ(*DetectOnce(*service_), "v1");
}

TEST_F(ModelServiceTest, RollbackToThePreviousOrANamedVersion) {
  VersionId v1 = Import();
  VersionId v2 = Import();
  VersionId v3 = Import();
  EXPECT_EQ(service_->Rollback(std::nullopt, "a").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_->Deploy(v1, "a").ok());
  ASSERT_TRUE(service_->Deploy(v2, "a").ok());
  auto back = service_->Rollback(std::nullopt, "a");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, v1);
  EXPECT_EQ(service_->Production(), v1);
  EXPECT_EQ(StatusOf(v2), VersionStatus::kStopped);
  ASSERT_TRUE(service_->Deploy(v3, "a").ok());
  ASSERT_TRUE(service_->Rollback(v2, "a").ok());
  EXPECT_EQ(service_->Production(), v2);
  EXPECT_EQ(*DetectOnce(*service_), "v2");
}

TEST_F(ModelServiceTest, MinimumInferenceUnitsRescalesLive) {
  VersionId v = Import();
  ASSERT_TRUE(service_->Deploy(v, "a").ok());
  EXPECT_EQ(service_->Serving()[0].pool.units, 1);
  ASSERT_TRUE(params_->Set(params::kMinimumInferenceUnits, 4, "test").ok());
  EXPECT_EQ(service_->Serving()[0].pool.units, 4);
  EXPECT_EQ(*DetectOnce(*service_), "v1");
  ASSERT_TRUE(params_->Set(params::kMinimumInferenceUnits, 1, "test").ok());
  EXPECT_EQ(service_->Serving()[0].pool.units, 1);
  EXPECT_EQ(*DetectOnce(*service_), "v1");
}

TEST_F(ModelServiceTest, StopWaitsForInFlightRequests) {
  VersionId v = Import();
  ASSERT_TRUE(service_->Deploy(v, "a").ok());
  auto lease = service_->Acquire();
  ASSERT_TRUE(lease.ok());
  auto stopper = std::async(std::launch::async, [&] { return service_->Stop(v, "a"); });
  // Wait (deadline-bounded, on the database's commits) for STOPPING: the stop is now waiting
  // for our lease.
  ASSERT_TRUE(WaitForCommit([&] { return StatusOf(v) == VersionStatus::kStopping; }, 10s))
      << VersionStatusName(StatusOf(v));
  EXPECT_EQ(service_->Acquire().status().code(), StatusCode::kFailedPrecondition);
  // The in-flight request still runs on the version's units.
  auto done = std::make_shared<std::promise<Status>>();
  ASSERT_TRUE(lease->pool()
                  .Submit([done](const ml::Predictor& p, int) {
                    ml::Image im{64, 64, std::vector<uint8_t>(64 * 64 * 3, 10)};
                    done->set_value(p.PredictBatch({&im}).status());
                  })
                  .ok());
  EXPECT_TRUE(done->get_future().get().ok());
  { Lease release = std::move(lease).value(); }
  auto stopped = stopper.get();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status, VersionStatus::kStopped);
  EXPECT_FALSE(registry_->Alias(kProductionAlias)->has_value());
}

TEST_F(ModelServiceTest, RecoverServesTheSameVersionAfterARestart) {
  VersionId v = Import();
  ASSERT_TRUE(service_->Deploy(v, "a").ok());
  service_->Shutdown();
  MakeService();
  EXPECT_EQ(service_->Acquire().status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_->Recover().ok());
  EXPECT_EQ(service_->Production(), v);
  EXPECT_EQ(*DetectOnce(*service_), "v1");
}

// A second service on the same registry stands for another process: it follows deployments
// made through the first when it syncs, keeping blue until green is loaded here.
TEST_F(ModelServiceTest, SyncFollowsDeploymentsMadeByAnotherProcess) {
  testing::FakeLoader other_loader;
  ServiceOptions options;
  options.cache_dir = dir_.path() / "other-cache";
  auto other = std::move(ModelService::Create(*registry_, params_.get(), clock_,
                                              other_loader.Loader(), options))
                   .value();
  VersionId v1 = Import();
  VersionId v2 = Import();
  ASSERT_TRUE(service_->Deploy(v1, "a").ok());
  EXPECT_EQ(DetectOnce(*other).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(other->Sync().ok());
  EXPECT_EQ(other->Production(), v1);
  EXPECT_EQ(*DetectOnce(*other), "v1");

  // Green cannot be loaded here yet: blue keeps answering here, though it stopped elsewhere.
  other_loader.fail_load->store(true);
  ASSERT_TRUE(service_->Deploy(v2, "a").ok());
  EXPECT_EQ(StatusOf(v1), VersionStatus::kStopped);
  ASSERT_TRUE(other->Sync().ok());
  EXPECT_EQ(other->Production(), v1);
  EXPECT_EQ(*DetectOnce(*other), "v1");
  // Once it loads, production switches here too and blue's units stop.
  other_loader.fail_load->store(false);
  ASSERT_TRUE(other->Sync().ok());
  EXPECT_EQ(other->Production(), v2);
  EXPECT_EQ(*DetectOnce(*other), "v2");
  ASSERT_EQ(other->Serving().size(), 1u);
  EXPECT_EQ(other->Serving()[0].version, v2);
  // Stopped elsewhere: no production here either.
  ASSERT_TRUE(service_->Stop(v2, "a").ok());
  ASSERT_TRUE(other->Sync().ok());
  EXPECT_FALSE(other->Production().has_value());
  EXPECT_TRUE(other->Serving().empty());
  other->Shutdown();
}

// Concurrent detections while the alias switches v1 -> v2 -> v1 and units go 1 -> 4 -> 1:
// every request succeeds and names the version whose units answered it.
TEST_F(ModelServiceTest, ZeroFailedRequestsAcrossSwitchAndRescale) {
  VersionId v1 = Import();
  VersionId v2 = Import();
  ASSERT_TRUE(service_->Deploy(v1, "a").ok());
  // Bounded: at most 20000 requests per client.
  testing::LoadClients load(4, 20000, [&]() -> testing::LoadClients::Request {
    return [&] { return DetectOnce(*service_); };
  });
  // Blocks (at most 20 s) until the clients did `n` more good requests or all ended.
  auto wait_for_requests = [&](int64_t n) { load.WaitFor(n, 20s); };
  wait_for_requests(50);
  ASSERT_TRUE(service_->Deploy(v2, "a").ok());
  wait_for_requests(50);
  ASSERT_TRUE(service_->SetUnits(4).ok());
  wait_for_requests(50);
  ASSERT_TRUE(service_->SetUnits(1).ok());
  wait_for_requests(50);
  ASSERT_TRUE(service_->Rollback(std::nullopt, "a").ok());
  wait_for_requests(50);
  load.Stop();
  EXPECT_EQ(load.failed(), 0) << load.FailureReport();
  EXPECT_GE(load.ok(), 250);
  EXPECT_GT(load.AnsweredBy("v2"), 0);
  EXPECT_EQ(service_->Production(), v1);
  EXPECT_EQ(StatusOf(v2), VersionStatus::kStopped);
}

}  // namespace
}  // namespace loupe::models
