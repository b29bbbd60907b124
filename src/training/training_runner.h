#pragma once
// TrainingRunner: trains new model versions in the background for the training-poll
// workflow (resource `loupe:train`), one at a time (single flight). A run lists the labelled
// images from the object store, keeps every image on the side of the train/test split the
// previous version's manifest gave it, trains (ml::Train) while publishing its progress,
// writes the Ground Truth manifest to `manifests/<version>.manifest`, and registers the
// artifact (ModelRegistry::CompleteTraining -> TRAINING_COMPLETED, or TRAINING_FAILED with the
// reason). A finished run marks the images it listed as tried (TrainingSet::MarkTried); a run
// cut short by shutdown or a crash does not, so the next poll trains on them again. Starting
// is idempotent by a request key (the workflow task's idempotency key), so a task that runs
// twice starts one training. Thread-safe.

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "ml/trainer.h"
#include "models/model_registry.h"
#include "store/object_store.h"
#include "training/training_lease.h"
#include "training/training_set.h"

namespace loupe::training {

struct RunnerOptions {
  std::filesystem::path work_dir;  // scratch space for artifacts (created)
  ml::TrainOptions train;          // seed, augmentations, head options, ...
  // The cluster-wide training lease (training_lease.h): renewed every ttl/3 while training; a
  // dead process's lease frees after ttl.
  std::chrono::milliseconds lease_ttl{30000};
};

// What a running training is doing now (for GET /v1/training and the console).
struct TrainingActivity {
  std::string version;
  std::string phase;    // "listing", "embed", "cross-validation", "head", "evaluate", "saving"
  int phase_index = 0;  // 1-based position of `phase` among the training's phases
  int phases = 0;
  int step = 0;
  int total_steps = 0;
  double loss = 0;
  TimePoint started;
};

class TrainingRunner {
 public:
  static Result<std::unique_ptr<TrainingRunner>> Open(db::Database& db, const Clock& clock,
                                                      models::ModelRegistry& registry,
                                                      store::ObjectStore& store,
                                                      TrainingSet& training_set,
                                                      RunnerOptions options);
  ~TrainingRunner();  // Shutdown()
  TrainingRunner(const TrainingRunner&) = delete;
  TrainingRunner& operator=(const TrainingRunner&) = delete;

  // Starts a training of a new version in the background and returns the version. The same
  // `request_key` returns the version it started before (whatever its state). Another
  // training in flight: FailedPrecondition naming it.
  // `name` names the version (ModelRegistry::CreateTraining's rules); empty = the next
  // generated name.
  [[nodiscard]] Result<models::VersionId> Start(std::string_view request_key,
                                                std::string_view actor, std::string_view name = "");
  // Whether a version is being trained (by this runner or, per the lease, by any process).
  [[nodiscard]] Result<bool> InFlight() const;
  std::optional<TrainingActivity> Active() const;

  // Versions left in TRAINING_IN_PROGRESS by a process that no longer holds the training lease
  // become TRAINING_FAILED (their run died with that process); one that another live process
  // trains is left alone. Call once at start, before Start(); Start does it again.
  [[nodiscard]] Status RecoverInterrupted();
  // Cancels a running training at its next progress report (its version becomes
  // TRAINING_FAILED "interrupted by shutdown") and waits for the thread. Idempotent.
  void Shutdown();

 private:
  TrainingRunner(db::Database& db, const Clock& clock, models::ModelRegistry& registry,
                 store::ObjectStore& store, TrainingSet& training_set, RunnerOptions options)
      : db_(db),
        clock_(clock),
        registry_(registry),
        store_(store),
        training_set_(training_set),
        options_(std::move(options)) {}
  void Run(const models::VersionId& version, const std::string& actor, int64_t token);
  Status RunOnce(const models::VersionId& version, const std::string& actor, int64_t token);
  void Report(const std::string& phase, int step, int total, double loss);

  db::Database& db_;
  const Clock& clock_;
  models::ModelRegistry& registry_;
  store::ObjectStore& store_;
  TrainingSet& training_set_;
  const RunnerOptions options_;

  std::mutex start_mu_;  // one Start at a time
  mutable std::mutex mu_;
  std::optional<TrainingActivity> active_;  // guarded by mu_
  std::thread thread_;                      // guarded by start_mu_
  std::atomic<bool> cancel_{false};
  std::atomic<bool> fenced_{false};  // the running training lost its lease: stop it
  std::unique_ptr<TrainingLease> lease_;
  std::unique_ptr<ml::Backbone> backbone_;  // loaded on first use; used by one run at a time
};

}  // namespace loupe::training
