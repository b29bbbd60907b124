#pragma once
// TrainingSet: the durable index of labelled training images, kept in the database so the
// training poll counts untrained images with one query instead of listing folders (folder
// markers, renames and deletions made the replaced solution's count wrong). Every new object
// under `images_labeled_by_folder/<label>/` (or the negatives folder `_none/`) is recorded in
// the object store's own transaction, so an image is counted exactly once. An image is
// "untrained" until a training attempt has seen it: a finished training — whether its version
// then passed the deployment gate or not — marks the images it read as tried by that version,
// so a failed gate waits for Minimum-Untrained-Images *more* images instead of retraining at
// full cost on every poll. Thread-safe; borrows the database and clock.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "store/object_store.h"

namespace loupe::training {

inline constexpr std::string_view kLabeledPrefix = "images_labeled_by_folder/";
inline constexpr std::string_view kNegativesLabel = "_none";

// The label of a training-image key ("images_labeled_by_folder/<label>/<file>", a valid
// label or `_none`), or nullopt for any other key.
std::optional<std::string> LabelOfKey(std::string_view key);

struct LabelCount {
  std::string label;
  int64_t images = 0;
  int64_t untrained = 0;
};

struct DatasetSummary {
  std::vector<LabelCount> labels;  // by name; without the negatives
  int64_t negatives = 0;
  int64_t untrained = 0;  // labels and negatives
  int64_t total = 0;      // labels and negatives
};

// Also a store listener: each new object's content is recorded as it is stored (in the store's
// transaction), so the index never misses an image.
class TrainingSet final : public store::ObjectListener {
 public:
  static Result<std::unique_ptr<TrainingSet>> Open(db::Database& db, const Clock& clock);

  Status OnObjectCreated(db::Transaction& tx, const store::ObjectInfo& info) override {
    return Record(tx, info.key, info.sha256);
  }

  // Records `key` if it is a training image (in the caller's transaction; idempotent).
  [[nodiscard]] Status Record(db::Transaction& tx, std::string_view key, std::string_view sha256);
  // Records training images the store holds but the index lacks (an index created after the
  // images, e.g. on upgrade). Returns how many were added.
  [[nodiscard]] Result<int64_t> Backfill(const store::ObjectStore& store);

  [[nodiscard]] Result<int64_t> CountUntrained() const;
  [[nodiscard]] Result<DatasetSummary> Summary() const;
  // Marks the images among `keys` that no attempt has seen yet as tried by `version`.
  [[nodiscard]] Result<int64_t> MarkTried(std::string_view version,
                                          const std::vector<std::string>& keys);

 private:
  TrainingSet(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  db::Database& db_;
  const Clock& clock_;
};

}  // namespace loupe::training
