#pragma once
// ModelService: serves model versions (DESIGN.md §8). Starting a version loads its artifact
// (materialised from the object store) into a pool of inference units, runs a smoke
// inference through them and only then marks it RUNNING; the `production` alias points at one
// running version. Deploy is blue/green: start green, smoke-test it, switch the alias
// atomically (one transaction, then one pointer swap), let blue finish its in-flight requests,
// stop blue. A failure at any step leaves blue serving and marks green FAILED with the
// reason. Rollback deploys a named (or the previous) version the same way. Changing
// Minimum-Inference-Units rescales running versions live.
//
// Requests take a Lease on a running version; a version is only stopped after every lease on
// it has ended, so a switch or a stop never fails a request that already chose a version.
//
// Thread-safe. Control operations (start, stop, deploy, rollback) run one at a time; leases
// and rescaling never wait for them. Borrows the registry, parameter store and clock.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ml/predictor.h"
#include "models/model_registry.h"
#include "models/unit_pool.h"
#include "params/parameter_store.h"

namespace loupe::models {

// Loads a predictor from a materialised artifact directory. Production: ml::Predictor::Load.
using PredictorLoader =
    std::function<Result<std::shared_ptr<const ml::Predictor>>(const std::filesystem::path&)>;
PredictorLoader DefaultPredictorLoader();

struct ServiceOptions {
  std::filesystem::path cache_dir;  // artifacts are copied here to be loaded (created)
  PoolOptions pool;
  std::chrono::milliseconds smoke_timeout{60000};
  // Units when no parameter store is given (tests); otherwise Minimum-Inference-Units.
  int default_units = 1;
};

class RunningVersion;

// A request's hold on a running version: while any lease exists the version's units keep
// running. Move-only.
class Lease {
 public:
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  const VersionId& version() const;
  UnitPool& pool() const;

 private:
  friend class ModelService;
  explicit Lease(std::shared_ptr<RunningVersion> running) : running_(std::move(running)) {}
  std::shared_ptr<RunningVersion> running_;
};

struct ServingInfo {
  VersionId version;
  bool production = false;
  int64_t in_flight = 0;  // leases held now
  PoolStats pool;
};

class ModelService {
 public:
  // Subscribes to Minimum-Inference-Units changes when `params` is given (may be null).
  static Result<std::unique_ptr<ModelService>> Create(ModelRegistry& registry,
                                                      params::ParameterStore* params,
                                                      const Clock& clock, PredictorLoader loader,
                                                      ServiceOptions options);
  ~ModelService();
  ModelService(const ModelService&) = delete;
  ModelService& operator=(const ModelService&) = delete;

  // After a restart: loads RUNNING versions into units again (FAILED with the reason if that
  // fails), finishes interrupted stops, fails interrupted starts, restores the alias.
  [[nodiscard]] Status Recover();

  // STARTING -> load + smoke inference -> RUNNING, or FAILED with the reason (also returned).
  // A version already running is left as it is.
  [[nodiscard]] Result<VersionInfo> Start(const VersionId& version, std::string_view actor);
  // RUNNING -> STOPPING -> (in-flight requests finish) -> STOPPED. Stopping the production
  // version leaves the alias unset (detection then answers FailedPrecondition).
  [[nodiscard]] Result<VersionInfo> Stop(const VersionId& version, std::string_view actor);
  // Blue/green switch of the production alias to `green` (started if needed).
  [[nodiscard]] Status Deploy(const VersionId& green, std::string_view actor);
  // Deploys `target`, or, when none is given, the version production pointed at before the
  // current one. FailedPrecondition if there is none.
  [[nodiscard]] Result<VersionId> Rollback(const std::optional<VersionId>& target,
                                           std::string_view actor);
  // Brings this process's serving up to the registry's, for deployments made through other
  // processes (several `loupe serve` on one PostgreSQL): versions RUNNING in the registry are
  // loaded here (one that fails to load is retried on the next call; the registry is left
  // alone, the version runs elsewhere), production follows the alias as soon as its version
  // is loaded here — until then the previous production keeps answering, so no request is
  // answered by a version that is neither blue nor green — and versions no longer RUNNING stop
  // here once their in-flight requests end. The app calls it every second.
  [[nodiscard]] Status Sync();
  // Sets the unit count of every running version (what a Minimum-Inference-Units change does).
  [[nodiscard]] Status SetUnits(int units);

  // A lease on `version`, or on production when none is given. FailedPrecondition when that
  // version is not running or no model is deployed.
  [[nodiscard]] Result<Lease> Acquire(const std::optional<VersionId>& version = std::nullopt);

  std::optional<VersionId> Production() const;
  std::vector<ServingInfo> Serving() const;
  ModelRegistry& registry() { return registry_; }

  // Stops every unit (waiting for in-flight requests) without changing durable state, so the
  // next process start serves the same versions again. Idempotent.
  void Shutdown();

 private:
  ModelService(ModelRegistry& registry, params::ParameterStore* params, const Clock& clock,
               PredictorLoader loader, ServiceOptions options);
  int UnitsWanted() const;
  // Loads the artifact and starts its units with a smoke inference (no state transitions).
  Result<std::shared_ptr<RunningVersion>> Load(const VersionId& version, int units);
  Status Smoke(UnitPool& pool);
  Result<VersionInfo> StartLocked(const VersionId& version, std::string_view actor);
  Result<VersionInfo> StopLocked(const VersionId& version, std::string_view reason,
                                 std::string_view actor, bool failed);
  Status SwitchAliasLocked(const std::optional<VersionId>& to, std::string_view reason,
                           std::string_view actor);
  std::shared_ptr<RunningVersion> Detach(const VersionId& version);

  ModelRegistry& registry_;
  params::ParameterStore* const params_;
  const Clock& clock_;
  const PredictorLoader loader_;
  const ServiceOptions options_;

  std::mutex control_mu_;  // one start/stop/deploy at a time; held across loads

  mutable std::mutex mu_;  // serving state; never held across slow work
  std::map<VersionId, std::shared_ptr<RunningVersion>> running_;  // guarded by mu_
  std::shared_ptr<RunningVersion> production_;                    // guarded by mu_
  int units_ = 1;                                                 // guarded by mu_

  struct ListenerGuard;
  std::shared_ptr<ListenerGuard> listener_guard_;
};

}  // namespace loupe::models
