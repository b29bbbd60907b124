#include "training/training_set.h"

#include <map>
#include <utility>

#include "ml/dataset.h"

namespace loupe::training {

std::optional<std::string> LabelOfKey(std::string_view key) {
  if (!key.starts_with(kLabeledPrefix)) return std::nullopt;
  std::string_view rest = key.substr(kLabeledPrefix.size());
  size_t slash = rest.find('/');
  // Exactly <label>/<file>: deeper paths are not part of the folder layout.
  if (slash == std::string_view::npos || slash + 1 >= rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view label = rest.substr(0, slash);
  if (label == kNegativesLabel) return std::string(label);
  if (!ml::ValidateLabel(label).ok()) return std::nullopt;
  return std::string(label);
}

Result<std::unique_ptr<TrainingSet>> TrainingSet::Open(db::Database& db, const Clock& clock) {
  RETURN_IF_ERROR(db.Migrate("pipeline_training_set",
                             {{1, "training image index",
                               "CREATE TABLE training_images ("
                               "  key TEXT PRIMARY KEY,"
                               "  label TEXT NOT NULL,"
                               "  sha256 TEXT NOT NULL,"
                               "  added_ms INTEGER NOT NULL,"
                               "  tried_by TEXT,"
                               "  tried_ms INTEGER);"
                               "CREATE INDEX training_images_untried ON training_images(label)"
                               "  WHERE tried_by IS NULL;"}}));
  return std::unique_ptr<TrainingSet>(new TrainingSet(db, clock));
}

Status TrainingSet::Record(db::Transaction& tx, std::string_view key, std::string_view sha256) {
  std::optional<std::string> label = LabelOfKey(key);
  if (!label) return Status::Ok();
  // New content under an existing key is a new image to learn from.
  return tx
      .Exec(
          "INSERT INTO training_images (key, label, sha256, added_ms) VALUES (?, ?, ?, ?) "
          "ON CONFLICT(key) DO UPDATE SET sha256 = excluded.sha256, added_ms = excluded.added_ms,"
          " tried_by = NULL, tried_ms = NULL WHERE training_images.sha256 <> excluded.sha256",
          {std::string(key), *label, std::string(sha256), ToUnixMillis(clock_.Now())})
      .status();
}

Result<int64_t> TrainingSet::Backfill(const store::ObjectStore& store) {
  int64_t added = 0;
  std::string token;
  do {
    ASSIGN_OR_RETURN(store::ListPage page, store.List(kLabeledPrefix, token, 1000));
    int64_t added_here = 0;  // set, not accumulated, inside the (retryable) transaction
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
      added_here = 0;
      for (const store::ObjectInfo& o : page.objects) {
        std::optional<std::string> label = LabelOfKey(o.key);
        if (!label) continue;
        ASSIGN_OR_RETURN(int64_t n, tx.Exec("INSERT INTO training_images (key, label, sha256, "
                                            "added_ms) VALUES (?, ?, ?, ?) "
                                            "ON CONFLICT (key) DO NOTHING",
                                            {o.key, *label, o.sha256, ToUnixMillis(o.modified)}));
        added_here += n;
      }
      return Status::Ok();
    }));
    added += added_here;
    token = page.next_page_token;
  } while (!token.empty());
  return added;
}

Result<int64_t> TrainingSet::CountUntrained() const {
  int64_t n = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row,
                     tx.QueryOne("SELECT COUNT(*) FROM training_images WHERE tried_by IS NULL"));
    n = row ? row->Int(0) : 0;
    return Status::Ok();
  }));
  return n;
}

Result<DatasetSummary> TrainingSet::Summary() const {
  DatasetSummary s;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT label, COUNT(*), SUM(CASE WHEN tried_by IS NULL THEN 1 "
                              "ELSE 0 END) FROM training_images GROUP BY label ORDER BY label"));
    for (const db::Row& r : rows) {
      s.total += r.Int(1);
      s.untrained += r.Int(2);
      if (r.Text(0) == kNegativesLabel) {
        s.negatives = r.Int(1);
      } else {
        s.labels.push_back({r.Text(0), r.Int(1), r.Int(2)});
      }
    }
    return Status::Ok();
  }));
  return s;
}

Result<int64_t> TrainingSet::MarkTried(std::string_view version,
                                       const std::vector<std::string>& keys) {
  int64_t marked = 0;
  int64_t now = ToUnixMillis(clock_.Now());
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    marked = 0;
    for (const std::string& key : keys) {
      ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE training_images SET tried_by = ?, tried_ms = ? "
                                          "WHERE key = ? AND tried_by IS NULL",
                                          {std::string(version), now, key}));
      marked += n;
    }
    return Status::Ok();
  }));
  return marked;
}

}  // namespace loupe::training
