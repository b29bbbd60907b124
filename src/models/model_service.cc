#include "models/model_service.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <future>
#include <set>

#include "core/check.h"

namespace loupe::models {

namespace fs = std::filesystem;

// One started version: its units and the number of leases held on it.
class RunningVersion {
 public:
  RunningVersion(VersionId version, std::unique_ptr<UnitPool> pool)
      : version_(std::move(version)), pool_(std::move(pool)) {}

  const VersionId& version() const { return version_; }
  UnitPool& pool() { return *pool_; }

  // REQUIRES: called under ModelService::mu_, so no lease can start after a Detach.
  void AddLease() {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  void EndLease() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == 0) cv_.notify_all();
  }
  int64_t in_flight() const {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  // Waits until every lease has ended, then stops the units (their queues are empty by then).
  void DrainAndStop() {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return in_flight_ == 0; });
    }
    pool_->Shutdown();
  }

 private:
  const VersionId version_;
  const std::unique_ptr<UnitPool> pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t in_flight_ = 0;  // guarded by mu_
};

Lease::~Lease() {
  if (running_) running_->EndLease();
}
const VersionId& Lease::version() const { return running_->version(); }
UnitPool& Lease::pool() const { return running_->pool(); }

// Lets the parameter listener outlive the service safely.
struct ModelService::ListenerGuard {
  std::mutex mu;
  ModelService* service = nullptr;
};

PredictorLoader DefaultPredictorLoader() {
  return [](const fs::path& dir) -> Result<std::shared_ptr<const ml::Predictor>> {
    ASSIGN_OR_RETURN(std::unique_ptr<ml::Predictor> p, ml::Predictor::Load(dir));
    return std::shared_ptr<const ml::Predictor>(std::move(p));
  };
}

ModelService::ModelService(ModelRegistry& registry, params::ParameterStore* params,
                           const Clock& clock, PredictorLoader loader, ServiceOptions options)
    : registry_(registry),
      params_(params),
      clock_(clock),
      loader_(std::move(loader)),
      options_(std::move(options)),
      listener_guard_(std::make_shared<ListenerGuard>()) {}

Result<std::unique_ptr<ModelService>> ModelService::Create(ModelRegistry& registry,
                                                           params::ParameterStore* params,
                                                           const Clock& clock,
                                                           PredictorLoader loader,
                                                           ServiceOptions options) {
  if (!loader) return InvalidArgumentError("a predictor loader is required");
  std::error_code ec;
  fs::create_directories(options.cache_dir, ec);
  if (ec) {
    return UnavailableError("cannot create " + options.cache_dir.string() + ": " + ec.message());
  }
  std::unique_ptr<ModelService> service(
      new ModelService(registry, params, clock, std::move(loader), std::move(options)));
  service->units_ = service->UnitsWanted();
  service->listener_guard_->service = service.get();
  if (params != nullptr) {
    std::shared_ptr<ListenerGuard> guard = service->listener_guard_;
    params->Subscribe([guard](const params::ParamValue& changed) {
      if (changed.name != params::kMinimumInferenceUnits || !changed.value.is_number_integer()) {
        return;
      }
      std::lock_guard lock(guard->mu);
      if (guard->service == nullptr) return;
      Status s = guard->service->SetUnits(changed.value.get<int>());
      if (!s.ok()) spdlog::warn("models: rescale failed: {}", s.ToString());
    });
  }
  return service;
}

ModelService::~ModelService() {
  {
    std::lock_guard lock(listener_guard_->mu);
    listener_guard_->service = nullptr;
  }
  Shutdown();
}

int ModelService::UnitsWanted() const {
  if (params_ == nullptr) return std::max(1, options_.default_units);
  return static_cast<int>(std::max<int64_t>(1, params_->GetInt(params::kMinimumInferenceUnits)));
}

Status ModelService::Smoke(UnitPool& pool) {
  // A mid-grey image with a bright square: exercises preprocessing, backbone, head and
  // calibration on a unit thread without any decoding.
  auto image = std::make_shared<ml::Image>();
  image->width = 256;
  image->height = 256;
  image->rgb.assign(static_cast<size_t>(256 * 256 * 3), 128);
  for (int y = 96; y < 160; ++y) {
    for (int x = 96; x < 160; ++x) {
      for (int c = 0; c < 3; ++c) image->rgb[(static_cast<size_t>(y) * 256 + x) * 3 + c] = 230;
    }
  }
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> done = promise->get_future();
  RETURN_IF_ERROR(pool.Submit([image, promise](const ml::Predictor& p, int) {
    Result<std::vector<ml::Prediction>> out = p.PredictBatch({image.get()});
    if (!out.ok()) return promise->set_value(out.status());
    if (out->size() != 1 || out->front().labels.size() != p.labels().size()) {
      return promise->set_value(InternalError("smoke inference gave a malformed prediction"));
    }
    double total = out->front().none_confidence;
    for (const ml::LabelConfidence& l : out->front().labels) {
      if (!std::isfinite(l.confidence) || l.confidence < 0 || l.confidence > 100.0001) {
        return promise->set_value(
            InternalError("smoke inference gave confidence " + std::to_string(l.confidence)));
      }
      total += l.confidence;
    }
    if (std::abs(total - 100) > 0.5) {
      return promise->set_value(
          InternalError("smoke inference confidences sum to " + std::to_string(total)));
    }
    promise->set_value(Status::Ok());
  }));
  if (done.wait_for(options_.smoke_timeout) != std::future_status::ready) {
    return DeadlineExceededError("smoke inference took longer than " +
                                 std::to_string(options_.smoke_timeout.count()) + " ms");
  }
  return done.get();
}

Result<std::shared_ptr<RunningVersion>> ModelService::Load(const VersionId& version, int units) {
  fs::path dir = options_.cache_dir / version.value();
  std::error_code ec;
  fs::remove_all(dir, ec);
  RETURN_IF_ERROR(registry_.Materialize(version, dir).WithContext("artifact"));
  ASSIGN_OR_RETURN(std::shared_ptr<const ml::Predictor> predictor, loader_(dir));
  if (predictor == nullptr) return InternalError("the loader returned no predictor");
  auto pool = std::make_unique<UnitPool>(std::move(predictor), units, options_.pool);
  if (Status s = Smoke(*pool); !s.ok()) {
    pool->Shutdown();
    return s.WithContext("smoke inference");
  }
  return std::make_shared<RunningVersion>(version, std::move(pool));
}

Result<VersionInfo> ModelService::Start(const VersionId& version, std::string_view actor) {
  std::lock_guard control(control_mu_);
  return StartLocked(version, actor);
}

Result<VersionInfo> ModelService::StartLocked(const VersionId& version, std::string_view actor) {
  ASSIGN_OR_RETURN(VersionInfo info, registry_.Get(version));
  {
    std::lock_guard lock(mu_);
    if (running_.count(version) != 0) return info;
  }
  int units = 0;
  {
    std::lock_guard lock(mu_);
    units = units_;
  }
  ASSIGN_OR_RETURN(
      info, registry_.Transition(version, VersionStatus::kStarting,
                                 "starting " + std::to_string(units) + " inference unit(s)", actor,
                                 info.row_version));
  auto loaded = Load(version, units);
  if (!loaded.ok()) {
    auto failed = registry_.Transition(version, VersionStatus::kFailed,
                                       "start failed: " + loaded.status().message(), actor);
    if (!failed.ok()) spdlog::error("models: {}", failed.status().ToString());
    return loaded.status().WithContext("model version " + version.value() + " failed to start");
  }
  auto running = registry_.Transition(version, VersionStatus::kRunning,
                                      std::to_string(units) + " unit(s), smoke inference ok", actor,
                                      info.row_version);
  if (!running.ok()) {
    (*loaded)->pool().Shutdown();
    return running.status();
  }
  {
    std::lock_guard lock(mu_);
    running_[version] = *loaded;
    // A rescale during the load applies now.
    if (units_ != units) (void)(*loaded)->pool().Resize(units_);
  }
  spdlog::info("models: {} RUNNING with {} unit(s)", version.value(), units);
  return running;
}

std::shared_ptr<RunningVersion> ModelService::Detach(const VersionId& version) {
  std::lock_guard lock(mu_);
  auto it = running_.find(version);
  if (it == running_.end()) return nullptr;
  std::shared_ptr<RunningVersion> rv = std::move(it->second);
  running_.erase(it);
  if (production_ == rv) production_ = nullptr;
  return rv;
}

Result<VersionInfo> ModelService::Stop(const VersionId& version, std::string_view actor) {
  std::lock_guard control(control_mu_);
  return StopLocked(version, "stop requested", actor, /*failed=*/false);
}

Result<VersionInfo> ModelService::StopLocked(const VersionId& version, std::string_view reason,
                                             std::string_view actor, bool failed) {
  ASSIGN_OR_RETURN(VersionInfo info, registry_.Get(version));
  if (!failed && info.status != VersionStatus::kRunning) {
    return FailedPreconditionError("model version " + version.value() + " is " +
                                   std::string(VersionStatusName(info.status)) + ", not RUNNING");
  }
  if (std::optional<VersionId> prod = Production(); prod == version) {
    RETURN_IF_ERROR(SwitchAliasLocked(std::nullopt, "production version stopped", actor));
  }
  if (!failed) {
    ASSIGN_OR_RETURN(
        info, registry_.Transition(version, VersionStatus::kStopping, std::string(reason), actor));
  }
  // No new lease can start once detached; the in-flight ones finish on the units.
  if (std::shared_ptr<RunningVersion> rv = Detach(version)) rv->DrainAndStop();
  if (failed) {
    return registry_.Transition(version, VersionStatus::kFailed, std::string(reason), actor);
  }
  return registry_.Transition(version, VersionStatus::kStopped, std::string(reason), actor);
}

Status ModelService::SwitchAliasLocked(const std::optional<VersionId>& to, std::string_view reason,
                                       std::string_view actor) {
  RETURN_IF_ERROR(registry_.database().Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(registry_.SetAlias(tx, kProductionAlias, to, reason, actor));
    if (params_ == nullptr) return Status::Ok();
    nlohmann::json state = params_->GetJson(params::kSystemState);
    if (!state.is_object()) state = nlohmann::json::object();
    state["deployed_version"] = to ? nlohmann::json(to->value()) : nlohmann::json(nullptr);
    return params_->Set(tx, params::kSystemState, state, "loupe", /*allow_system=*/true).status();
  }));
  // Durable first, then the in-memory switch: one pointer swap under mu_.
  std::lock_guard lock(mu_);
  if (!to) {
    production_ = nullptr;
    return Status::Ok();
  }
  auto it = running_.find(*to);
  CHECK(it != running_.end()) << "alias switched to a version without units";
  production_ = it->second;
  return Status::Ok();
}

Status ModelService::Deploy(const VersionId& green, std::string_view actor) {
  std::lock_guard control(control_mu_);
  std::optional<VersionId> blue = Production();
  if (blue == green) return Status::Ok();
  std::string why_green;
  {
    Result<VersionInfo> started = StartLocked(green, actor);
    if (!started.ok()) {
      return started.status().WithContext(
          blue ? "deploy failed; " + blue->value() + " keeps serving" : "deploy failed");
    }
  }
  // Smoke-test green again right before the switch (it may have been running a while).
  std::shared_ptr<RunningVersion> green_rv;
  {
    std::lock_guard lock(mu_);
    green_rv = running_[green];
  }
  Status s = Smoke(green_rv->pool());
  if (s.ok()) {
    s = SwitchAliasLocked(
        green, blue ? "deploy (blue/green from " + blue->value() + ")" : std::string("deploy"),
        actor);
  }
  if (!s.ok()) {
    auto failed = StopLocked(green, "deploy failed: " + s.message(), actor, /*failed=*/true);
    if (!failed.ok()) spdlog::error("models: {}", failed.status().ToString());
    return s.WithContext(blue ? "deploy failed; " + blue->value() + " keeps serving"
                              : "deploy failed");
  }
  spdlog::info("models: production -> {}", green.value());
  if (blue) {
    auto stopped = StopLocked(*blue, "replaced by " + green.value(), actor, /*failed=*/false);
    if (!stopped.ok()) {
      spdlog::warn("models: stopping {}: {}", blue->value(), stopped.status().ToString());
    }
  }
  return Status::Ok();
}

Result<VersionId> ModelService::Rollback(const std::optional<VersionId>& target,
                                         std::string_view actor) {
  VersionId to;
  if (target) {
    to = *target;
  } else {
    std::optional<VersionId> current = Production();
    ASSIGN_OR_RETURN(std::vector<AliasRecord> history, registry_.AliasHistory(kProductionAlias));
    std::optional<VersionId> previous;
    for (const AliasRecord& r : history) {
      if (r.new_version == current && r.old_version && r.old_version != current) {
        previous = r.old_version;
        break;
      }
    }
    if (!previous) return FailedPreconditionError("no earlier production version to roll back to");
    to = *previous;
  }
  RETURN_IF_ERROR(Deploy(to, actor));
  return to;
}

Status ModelService::SetUnits(int units) {
  if (units < 1) return InvalidArgumentError("inference units must be >= 1");
  std::lock_guard lock(mu_);
  units_ = units;
  for (auto& [version, rv] : running_) RETURN_IF_ERROR(rv->pool().Resize(units));
  return Status::Ok();
}

Result<Lease> ModelService::Acquire(const std::optional<VersionId>& version) {
  std::lock_guard lock(mu_);
  std::shared_ptr<RunningVersion> rv;
  if (version) {
    auto it = running_.find(*version);
    if (it == running_.end()) {
      return FailedPreconditionError("model version " + version->value() +
                                     " is not running; start it first (loupe models start " +
                                     version->value() + ")");
    }
    rv = it->second;
  } else {
    rv = production_;
    if (!rv) {
      return FailedPreconditionError(
          "no model is deployed: import a trained version and deploy it "
          "(loupe models import DIR; loupe models deploy VERSION)");
    }
  }
  rv->AddLease();
  return Lease(std::move(rv));
}

std::optional<VersionId> ModelService::Production() const {
  std::lock_guard lock(mu_);
  if (!production_) return std::nullopt;
  return production_->version();
}

std::vector<ServingInfo> ModelService::Serving() const {
  std::lock_guard lock(mu_);
  std::vector<ServingInfo> out;
  for (const auto& [version, rv] : running_) {
    out.push_back({version, rv == production_, rv->in_flight(), rv->pool().Stats()});
  }
  return out;
}

Status ModelService::Recover() {
  std::lock_guard control(control_mu_);
  ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, registry_.List());
  ASSIGN_OR_RETURN(std::optional<VersionId> alias, registry_.Alias(kProductionAlias));
  int units = UnitsWanted();
  for (const VersionInfo& v : versions) {
    if (v.status == VersionStatus::kStarting) {
      RETURN_IF_ERROR(registry_
                          .Transition(v.version, VersionStatus::kFailed,
                                      "start interrupted by a restart; start it again", "loupe")
                          .status());
    } else if (v.status == VersionStatus::kStopping) {
      RETURN_IF_ERROR(
          registry_
              .Transition(v.version, VersionStatus::kStopped, "stop completed at restart", "loupe")
              .status());
    } else if (v.status == VersionStatus::kRunning) {
      auto loaded = Load(v.version, units);
      if (!loaded.ok()) {
        if (alias == v.version) {
          RETURN_IF_ERROR(SwitchAliasLocked(std::nullopt, "reload failed at restart", "loupe"));
          alias.reset();
        }
        RETURN_IF_ERROR(registry_
                            .Transition(v.version, VersionStatus::kFailed,
                                        "reload at restart failed: " + loaded.status().message(),
                                        "loupe")
                            .status());
        continue;
      }
      std::lock_guard lock(mu_);
      running_[v.version] = *loaded;
      if (alias == v.version) production_ = *loaded;
    }
  }
  std::lock_guard lock(mu_);
  units_ = units;
  return Status::Ok();
}

Status ModelService::Sync() {
  std::lock_guard control(control_mu_);
  ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, registry_.List());
  ASSIGN_OR_RETURN(std::optional<VersionId> alias, registry_.Alias(kProductionAlias));
  std::set<VersionId> wanted;
  for (const VersionInfo& v : versions) {
    if (v.status == VersionStatus::kRunning) wanted.insert(v.version);
  }
  int units = UnitsWanted();
  for (const VersionId& version : wanted) {
    {
      std::lock_guard lock(mu_);
      if (running_.contains(version)) continue;
    }
    auto loaded = Load(version, units);
    if (!loaded.ok()) {
      spdlog::warn("models: cannot serve {} (running elsewhere) here yet: {}", version.value(),
                   loaded.status().ToString());
      continue;
    }
    spdlog::info("models: serving {} here too (started by another process)", version.value());
    std::lock_guard lock(mu_);
    running_[version] = *loaded;
  }
  std::vector<std::shared_ptr<RunningVersion>> leaving;
  {
    std::lock_guard lock(mu_);
    if (!alias.has_value()) {
      production_ = nullptr;
    } else if (auto it = running_.find(*alias); it != running_.end() && production_ != it->second) {
      spdlog::info("models: production is {} (switched by another process)", alias->value());
      production_ = it->second;
    }
    for (auto it = running_.begin(); it != running_.end();) {
      // The version still answering as production stays until its successor is loaded here.
      if (wanted.contains(it->first) || it->second == production_) {
        ++it;
        continue;
      }
      leaving.push_back(std::move(it->second));
      it = running_.erase(it);
    }
  }
  for (auto& rv : leaving) rv->DrainAndStop();  // outside mu_: waits for in-flight requests
  return Status::Ok();
}

void ModelService::Shutdown() {
  std::vector<std::shared_ptr<RunningVersion>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [version, rv] : running_) all.push_back(rv);
    running_.clear();
    production_ = nullptr;
  }
  for (auto& rv : all) rv->DrainAndStop();
}

}  // namespace loupe::models
