#include "training/training_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/random.h"
#include "ml/artifact.h"
#include "ml/dataset.h"
#include "training/dataset_io.h"

namespace loupe::training {
namespace fs = std::filesystem;
namespace {

// Thrown from the progress callback to end a run at shutdown; caught in Run(). Not a
// std::exception, so no library code on the way mistakes it for an error of its own.
struct Cancelled {};

constexpr std::array<std::string_view, 6> kPhases = {"listing", "embed",    "cross-validation",
                                                     "head",    "evaluate", "saving"};

int PhaseIndex(std::string_view phase) {
  auto it = std::find(kPhases.begin(), kPhases.end(), phase);
  return it == kPhases.end() ? 0 : static_cast<int>(it - kPhases.begin()) + 1;
}

}  // namespace

Result<std::unique_ptr<TrainingRunner>> TrainingRunner::Open(db::Database& db, const Clock& clock,
                                                             models::ModelRegistry& registry,
                                                             store::ObjectStore& store,
                                                             TrainingSet& training_set,
                                                             RunnerOptions options) {
  RETURN_IF_ERROR(db.Migrate("pipeline_training_runs", {{1, "training requests",
                                                         "CREATE TABLE training_requests ("
                                                         "  request_key TEXT PRIMARY KEY,"
                                                         "  version TEXT NOT NULL,"
                                                         "  actor TEXT NOT NULL,"
                                                         "  started_ms INTEGER NOT NULL);"}}));
  std::error_code ec;
  fs::create_directories(options.work_dir, ec);
  if (ec) {
    return UnavailableError("cannot create " + options.work_dir.string() + ": " + ec.message());
  }
  std::chrono::milliseconds ttl = options.lease_ttl;
  auto runner = std::unique_ptr<TrainingRunner>(
      new TrainingRunner(db, clock, registry, store, training_set, std::move(options)));
  ASSIGN_OR_RETURN(runner->lease_, TrainingLease::Open(db, clock, "runner-" + RandomHex(6), ttl));
  return runner;
}

TrainingRunner::~TrainingRunner() { Shutdown(); }

Result<bool> TrainingRunner::InFlight() const {
  {
    std::lock_guard lock(mu_);
    if (active_) return true;
  }
  ASSIGN_OR_RETURN(std::optional<LeaseHolder> holder, lease_->Holder());
  return holder.has_value();
}

std::optional<TrainingActivity> TrainingRunner::Active() const {
  std::lock_guard lock(mu_);
  return active_;
}

Status TrainingRunner::RecoverInterrupted() {
  ASSIGN_OR_RETURN(std::optional<LeaseHolder> holder, lease_->Holder());
  ASSIGN_OR_RETURN(std::vector<models::VersionInfo> versions, registry_.List());
  for (const models::VersionInfo& v : versions) {
    if (v.status != models::VersionStatus::kTraining) continue;
    if (holder && holder->version == v.version.value()) continue;  // trained by a live process
    auto t = registry_.Transition(v.version, models::VersionStatus::kTrainingFailed,
                                  "training interrupted: the process stopped during it", "system");
    if (!t.ok()) return t.status();
    spdlog::warn("training: {} was interrupted by a restart; marked TRAINING_FAILED",
                 v.version.value());
  }
  return Status::Ok();
}

Result<models::VersionId> TrainingRunner::Start(std::string_view request_key,
                                                std::string_view actor, std::string_view name) {
  if (request_key.empty() || request_key.size() > 512) {
    return InvalidArgumentError("training request key must be 1..512 bytes");
  }
  std::lock_guard start_lock(start_mu_);
  std::optional<std::string> known;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT version FROM training_requests "
                                           "WHERE request_key = ?",
                                           {std::string(request_key)}));
    if (row) known = row->Text(0);
    return Status::Ok();
  }));
  if (known) return models::VersionId(*known);
  if (cancel_.load()) return UnavailableError("shutting down");

  {
    std::lock_guard lock(mu_);
    if (active_) {
      return FailedPreconditionError("a training is already in progress (" + active_->version +
                                     ")");
    }
  }
  if (thread_.joinable()) thread_.join();  // the previous run has finished (not in flight)

  // Single flight across processes: the lease first; then no other training can be live.
  int64_t token = 0;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(token, lease_->Acquire(tx, ""));
    return Status::Ok();
  }));
  auto started = [&]() -> Result<models::VersionInfo> {
    RETURN_IF_ERROR(RecoverInterrupted());  // versions whose trainer died, now that none is live
    ASSIGN_OR_RETURN(models::VersionInfo v, registry_.CreateTraining(name, actor));
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
      RETURN_IF_ERROR(lease_->SetVersion(tx, token, v.version.value()));
      return tx
          .Exec(
              "INSERT INTO training_requests (request_key, version, actor, started_ms) "
              "VALUES (?, ?, ?, ?)",
              {std::string(request_key), v.version.value(), std::string(actor),
               ToUnixMillis(clock_.Now())})
          .status();
    }));
    return v;
  }();
  if (!started.ok()) {
    if (Status r = lease_->Release(token); !r.ok()) spdlog::warn("training: {}", r.ToString());
    return started.status();
  }
  models::VersionInfo v = std::move(started).value();
  {
    std::lock_guard lock(mu_);
    active_ = TrainingActivity{
        v.version.value(), "listing", 1, static_cast<int>(kPhases.size()), 0, 0, 0, clock_.Now()};
  }
  spdlog::info("training: {} started by {}", v.version.value(), actor);
  fenced_.store(false);
  thread_ = std::thread(
      [this, version = v.version, who = std::string(actor), token] { Run(version, who, token); });
  return v.version;
}

void TrainingRunner::Report(const std::string& phase, int step, int total, double loss) {
  if (cancel_.load() || fenced_.load()) throw Cancelled{};
  std::lock_guard lock(mu_);
  if (!active_) return;
  active_->phase = phase;
  active_->phase_index = PhaseIndex(phase);
  active_->step = step;
  active_->total_steps = total;
  active_->loss = loss;
}

void TrainingRunner::Run(const models::VersionId& version, const std::string& actor,
                         int64_t token) {
  // Renews the lease every ttl/3 while the training runs; losing it stops the training.
  std::mutex beat_mu;
  std::condition_variable beat_cv;
  bool done = false;
  std::thread heartbeat([&] {
    std::unique_lock lock(beat_mu);
    while (!beat_cv.wait_for(lock, options_.lease_ttl / 3, [&] { return done; })) {
      lock.unlock();
      Status renewed = lease_->Renew(token);
      lock.lock();
      if (renewed.code() == StatusCode::kFailedPrecondition) {
        spdlog::error("training: {}: {}", version.value(), renewed.ToString());
        fenced_.store(true);
        return;
      }
      if (!renewed.ok()) spdlog::warn("training: lease renewal: {}", renewed.ToString());
    }
  });
  Status s = Status::Ok();
  try {
    s = RunOnce(version, actor, token);
  } catch (const Cancelled&) {
    s = fenced_.load() ? AbortedError("training stopped: this process lost the training lease")
                       : AbortedError("training interrupted by shutdown");
  } catch (const std::exception& e) {
    s = InternalError(std::string("training crashed: ") + e.what());
  }
  {
    std::lock_guard lock(beat_mu);
    done = true;
  }
  beat_cv.notify_all();
  heartbeat.join();
  if (!s.ok()) {
    auto current = registry_.Get(version);
    if (current.ok() && current->status == models::VersionStatus::kTraining) {
      auto t = registry_.Transition(version, models::VersionStatus::kTrainingFailed, s.message(),
                                    "system");
      if (!t.ok()) spdlog::error("training: {}: {}", version.value(), t.status().ToString());
    }
    spdlog::warn("training: {} failed: {}", version.value(), s.ToString());
  } else {
    spdlog::info("training: {} completed", version.value());
  }
  std::error_code ec;
  fs::remove_all(options_.work_dir / version.value(), ec);
  if (Status r = lease_->Release(token); !r.ok()) spdlog::warn("training: {}", r.ToString());
  std::lock_guard lock(mu_);
  active_.reset();
}

Status TrainingRunner::RunOnce(const models::VersionId& version, const std::string& actor,
                               int64_t token) {
  Report("listing", 0, 0, 0);
  std::unique_ptr<ml::DatasetSource> source = ml::MakeObjectStoreSource(store_);
  ASSIGN_OR_RETURN(ml::SourceListing listing, source->List());
  std::vector<std::string> keys;
  keys.reserve(listing.entries.size());
  for (const ml::SourceEntry& e : listing.entries) {
    keys.push_back(std::string(kLabeledPrefix) + e.key);
  }

  ml::TrainOptions opts = options_.train;
  // Images keep their side of the split: the newest earlier version's manifest pins them
  // (over the splits imports recorded).
  ASSIGN_OR_RETURN(opts.pinned, SplitPins(registry_, store_, version));

  if (!backbone_) {
    ASSIGN_OR_RETURN(backbone_, ml::LoadBuiltinBackbone(ml::DefaultBackboneId()));
  }
  auto progress = [this](const ml::TrainingProgress& p) {
    Report(p.phase, p.step, p.total_steps, p.loss);
  };
  Result<ml::TrainResult> trained = ml::Train(*source, *backbone_, opts, clock_, progress);
  if (!trained.ok()) {
    // The data was tried: an unusable dataset waits for more images, not for the next poll.
    auto marked = training_set_.MarkTried(version.value(), keys);
    if (!marked.ok()) spdlog::error("training: {}", marked.status().ToString());
    return trained.status();
  }
  for (const std::string& w : trained->warnings) {
    spdlog::warn("training {}: {}", version.value(), w);
  }
  Report("saving", 0, 0, 0);
  fs::path dir = options_.work_dir / version.value();
  RETURN_IF_ERROR(ml::SaveArtifact(trained->artifact, trained->manifest, dir));
  RETURN_IF_ERROR(
      store_.Put("manifests/" + version.value() + ".manifest", trained->manifest).status());
  // The effect is fenced: a process whose lease another took registers nothing.
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) { return lease_->CheckFence(tx, token); }));
  ASSIGN_OR_RETURN(models::VersionInfo done, registry_.CompleteTraining(version, dir, actor));
  ASSIGN_OR_RETURN(int64_t marked, training_set_.MarkTried(version.value(), keys));
  spdlog::info("training: {} is {} ({} images newly tried)", version.value(),
               models::VersionStatusName(done.status), marked);
  return Status::Ok();
}

void TrainingRunner::Shutdown() {
  cancel_.store(true);
  std::lock_guard start_lock(start_mu_);
  if (thread_.joinable()) thread_.join();
}

}  // namespace loupe::training
