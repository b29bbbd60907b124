#include "training/training_lease.h"

namespace loupe::training {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE training_lease (
  name TEXT PRIMARY KEY,
  owner TEXT,
  version TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  token INTEGER NOT NULL
);
INSERT INTO training_lease (name, owner, version, expires_ms, token) VALUES ('training', NULL, '', 0, 0);
)sql";

}  // namespace

Result<std::unique_ptr<TrainingLease>> TrainingLease::Open(db::Database& db, const Clock& clock,
                                                           std::string owner,
                                                           std::chrono::milliseconds ttl) {
  RETURN_IF_ERROR(db.Migrate("training_lease", {{1, "single-flight training lease", kSchemaV1}}));
  return std::unique_ptr<TrainingLease>(new TrainingLease(db, clock, std::move(owner), ttl));
}

Result<std::optional<LeaseHolder>> TrainingLease::Row(db::Transaction& tx) const {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT owner, version, expires_ms, token FROM "
                                         "training_lease WHERE name = 'training'"));
  if (!row || row->IsNull(0)) return std::optional<LeaseHolder>();
  LeaseHolder h{row->Text(0), row->Text(1), FromUnixMillis(row->Int(2)), row->Int(3)};
  if (h.expires <= clock_.Now()) return std::optional<LeaseHolder>();
  return std::optional<LeaseHolder>(std::move(h));
}

Result<int64_t> TrainingLease::Acquire(db::Transaction& tx, std::string_view version) {
  ASSIGN_OR_RETURN(std::optional<LeaseHolder> holder, Row(tx));
  if (holder.has_value()) {
    return FailedPreconditionError("a training is already in progress (" +
                                   (holder->version.empty() ? "starting" : holder->version) +
                                   ", by " + holder->owner + ")");
  }
  ASSIGN_OR_RETURN(auto row,
                   tx.QueryOne("UPDATE training_lease SET owner = ?, version = ?, "
                               "expires_ms = ?, token = token + 1 "
                               "WHERE name = 'training' RETURNING token",
                               {owner_, std::string(version), ToUnixMillis(clock_.Now() + ttl_)}));
  if (!row) return InternalError("the training lease row is missing");
  return row->Int(0);
}

Status TrainingLease::CheckFence(db::Transaction& tx, int64_t token) {
  ASSIGN_OR_RETURN(std::optional<LeaseHolder> holder, Row(tx));
  if (!holder || holder->owner != owner_ || holder->token != token) {
    return FailedPreconditionError(
        "this process lost the training lease (token " + std::to_string(token) + ") to " +
        (holder ? holder->owner + " (token " + std::to_string(holder->token) + ")"
                : std::string("nobody: it expired")));
  }
  return Status::Ok();
}

Status TrainingLease::SetVersion(db::Transaction& tx, int64_t token, std::string_view version) {
  RETURN_IF_ERROR(CheckFence(tx, token));
  return tx
      .Exec("UPDATE training_lease SET version = ? WHERE name = 'training'", {std::string(version)})
      .status();
}

Status TrainingLease::Renew(int64_t token) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(CheckFence(tx, token));
    return tx
        .Exec("UPDATE training_lease SET expires_ms = ? WHERE name = 'training'",
              {ToUnixMillis(clock_.Now() + ttl_)})
        .status();
  });
}

Status TrainingLease::Release(int64_t token) {
  return db_.Write([&](db::Transaction& tx) -> Status {
    return tx
        .Exec(
            "UPDATE training_lease SET owner = NULL, expires_ms = 0 "
            "WHERE name = 'training' AND owner = ? AND token = ?",
            {owner_, token})
        .status();
  });
}

Result<std::optional<LeaseHolder>> TrainingLease::Holder() const {
  std::optional<LeaseHolder> holder;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(holder, Row(tx));
    return Status::Ok();
  }));
  return holder;
}

}  // namespace loupe::training
