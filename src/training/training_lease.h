#pragma once
// TrainingLease: single flight of trainings across every process on one database. One row
// (table `training_lease`) says which process trains which version until when; a process takes
// it only when it is free or expired, renews it while it trains, and releases it when done. A
// process that dies stops renewing, and its lease expires after `ttl`, so another can train.
// Each acquisition increments a fencing token: a holder whose lease expired and was taken by
// another is refused at renewal and at the effect (registering its artifact), so two trainings
// never both complete for one lease. Thread-safe; borrows the database and clock.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"

namespace loupe::training {

struct LeaseHolder {
  std::string owner;
  std::string version;
  TimePoint expires;
  int64_t token = 0;
};

class TrainingLease {
 public:
  // Applies the lease's migration. `owner` names this process (unique per process start).
  static Result<std::unique_ptr<TrainingLease>> Open(db::Database& db, const Clock& clock,
                                                     std::string owner,
                                                     std::chrono::milliseconds ttl);

  // Takes the lease for `version` (empty until the version exists: see SetVersion), in the
  // caller's transaction. FailedPrecondition naming the holder while another process holds an
  // unexpired lease. Returns the fencing token.
  Result<int64_t> Acquire(db::Transaction& tx, std::string_view version);
  // Records the version the held lease trains.
  Status SetVersion(db::Transaction& tx, int64_t token, std::string_view version);
  // Extends the held lease by ttl. FailedPrecondition if it is no longer ours (fenced).
  Status Renew(int64_t token);
  // Checks, in the caller's transaction, that the lease is still ours with this token.
  Status CheckFence(db::Transaction& tx, int64_t token);
  // Frees the lease if it is still ours with this token (else nothing).
  Status Release(int64_t token);
  // The unexpired holder, if any.
  Result<std::optional<LeaseHolder>> Holder() const;

  const std::string& owner() const { return owner_; }

 private:
  TrainingLease(db::Database& db, const Clock& clock, std::string owner,
                std::chrono::milliseconds ttl)
      : db_(db), clock_(clock), owner_(std::move(owner)), ttl_(ttl) {}
  Result<std::optional<LeaseHolder>> Row(db::Transaction& tx) const;

  db::Database& db_;
  const Clock& clock_;
  const std::string owner_;
  const std::chrono::milliseconds ttl_;
};

}  // namespace loupe::training
