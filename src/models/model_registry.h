#pragma once
// ModelRegistry: the durable record of model versions (DESIGN.md §8): each version's status
// with a timestamped history row per transition, its artifact under `models/<version>/` in the
// object store, and endpoint aliases (`production`) pointing at one RUNNING version or none.
// Every change is one database transaction: new row state + history row + row-version check,
// so a concurrent change returns Aborted instead of being lost. Holds no serving state (see
// ModelService). Thread-safe; borrows the database, clock and store.

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "db/database.h"
#include "models/version_status.h"
#include "store/object_store.h"

namespace loupe::models {

using VersionId = StrongId<struct VersionIdTag, std::string>;

inline constexpr std::string_view kProductionAlias = "production";
// The files a complete artifact needs (model.json marks completeness; see ml/artifact.h).
inline constexpr std::string_view kModelFile = "model.json";

// Version names: 1..64 of [A-Za-z0-9._-], starting with a letter or digit.
Status ValidateVersionName(std::string_view name);
// "models/<version>/".
std::string ArtifactPrefix(const VersionId& version);

struct VersionInfo {
  VersionId version;
  int64_t seq = 0;  // creation order
  VersionStatus status = VersionStatus::kTraining;
  std::string status_message;  // reason of the last transition (the failure, for FAILED)
  TimePoint created_at;
  TimePoint updated_at;
  int64_t row_version = 0;  // increases by one per change
  std::string artifact_prefix;
  nlohmann::json summary;  // labels, metrics from model.json (empty object while training)
};

struct TransitionRecord {
  VersionId version;
  std::optional<VersionStatus> from;  // none for the creation
  VersionStatus to = VersionStatus::kTraining;
  TimePoint at;
  std::string reason;
  std::string actor;
};

struct AliasRecord {
  std::string alias;
  std::optional<VersionId> old_version;
  std::optional<VersionId> new_version;
  TimePoint at;
  std::string reason;
  std::string actor;
};

class ModelRegistry {
 public:
  // Applies the module's migrations. Borrows all three; they must outlive the registry.
  static Result<std::unique_ptr<ModelRegistry>> Open(db::Database& db, const Clock& clock,
                                                     store::ObjectStore& store);

  // Records a new version in TRAINING_IN_PROGRESS (for the training workflow). `name` empty:
  // the next free "v<N>". AlreadyExists if the name is taken.
  [[nodiscard]] Result<VersionInfo> CreateTraining(std::string_view name, std::string_view actor);
  // Registers a complete artifact as a new TRAINING_COMPLETED version: copies every object
  // under `source_prefix` (which must hold model.json, readable as an artifact summary) to
  // models/<version>/. InvalidArgument if it is not an artifact.
  [[nodiscard]] Result<VersionInfo> ImportFromStore(std::string_view source_prefix,
                                                    std::string_view name, std::string_view actor);
  // Same from a local artifact directory (`loupe train --out DIR`), for tests and tools.
  [[nodiscard]] Result<VersionInfo> ImportDirectory(const std::filesystem::path& dir,
                                                    std::string_view name, std::string_view actor);

  // Completes a TRAINING_IN_PROGRESS version (from CreateTraining) with the artifact that
  // training wrote to `dir`: copies it to models/<version>/ (model.json last), then
  // TRAINING_COMPLETED. Anything wrong with the artifact makes it TRAINING_FAILED with the
  // reason (also returned). A failed training itself: Transition(..., kTrainingFailed, why).
  [[nodiscard]] Result<VersionInfo> CompleteTraining(const VersionId& version,
                                                     const std::filesystem::path& dir,
                                                     std::string_view actor);

  // Applies one lifecycle transition (checked by CheckTransition) with its history row.
  // `expected_row_version` (if set) must match, else Aborted.
  [[nodiscard]] Result<VersionInfo> Transition(const VersionId& version, VersionStatus to,
                                               std::string_view reason, std::string_view actor,
                                               std::optional<int64_t> expected_row_version = {});
  // Same inside the caller's transaction.
  [[nodiscard]] Result<VersionInfo> Transition(db::Transaction& tx, const VersionId& version,
                                               VersionStatus to, std::string_view reason,
                                               std::string_view actor,
                                               std::optional<int64_t> expected_row_version = {});

  [[nodiscard]] Result<VersionInfo> Get(const VersionId& version) const;
  [[nodiscard]] Result<VersionInfo> Get(db::Transaction& tx, const VersionId& version) const;
  // Every version, oldest first.
  [[nodiscard]] Result<std::vector<VersionInfo>> List() const;
  // Transitions of one version, oldest first.
  [[nodiscard]] Result<std::vector<TransitionRecord>> History(const VersionId& version) const;

  // The version an alias points at (none if unset).
  [[nodiscard]] Result<std::optional<VersionId>> Alias(std::string_view alias) const;
  // Points `alias` at `version` (REQUIRES it RUNNING, else FailedPrecondition) or at nothing,
  // with a history row, in the caller's transaction.
  [[nodiscard]] Status SetAlias(db::Transaction& tx, std::string_view alias,
                                const std::optional<VersionId>& version, std::string_view reason,
                                std::string_view actor);
  // Alias changes, newest first (at most `limit`).
  [[nodiscard]] Result<std::vector<AliasRecord>> AliasHistory(std::string_view alias,
                                                              int limit = 100) const;

  // Copies the version's artifact objects into `dir` (created) so the ML loader can read them.
  [[nodiscard]] Status Materialize(const VersionId& version,
                                   const std::filesystem::path& dir) const;

  db::Database& database() { return db_; }

 private:
  ModelRegistry(db::Database& db, const Clock& clock, store::ObjectStore& store)
      : db_(db), clock_(clock), store_(store) {}
  Result<VersionInfo> Insert(db::Transaction& tx, std::string_view name, VersionStatus status,
                             const nlohmann::json& summary, std::string_view reason,
                             std::string_view actor);
  Result<VersionInfo> ImportFiles(const std::map<std::string, std::string>& files,
                                  std::string_view name, std::string_view actor);
  Result<VersionInfo> CompleteFiles(const VersionId& version,
                                    const std::map<std::string, std::string>& files,
                                    std::string_view reason, std::string_view actor);

  db::Database& db_;
  const Clock& clock_;
  store::ObjectStore& store_;
};

}  // namespace loupe::models
