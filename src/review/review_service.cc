#include "review/review_service.h"

#include <utility>

#include "review/review_tables.h"

// ReviewService's parts live in one file each: human_loops.cc (create, look up, list, stop,
// resolve), task_queue.cc (claim, answer, release, stats), consolidation.h (the pure decision
// on the answers), loop_completion.cc (output.json and the Completed event), answer_filing.cc
// (filing into the training set), review_settings.cc, and review_tables.h (schema and rows).
// This file opens the service and sweeps it.

namespace loupe::review {

Result<std::unique_ptr<ReviewService>> ReviewService::Open(db::Database& db, const Clock& clock,
                                                           store::ObjectStore& store,
                                                           events::EventLog& events,
                                                           ReviewOptions options) {
  RETURN_IF_ERROR(db.Migrate("review", ReviewMigrations()));
  auto service = std::unique_ptr<ReviewService>(
      new ReviewService(db, clock, store, events, std::move(options)));
  RETURN_IF_ERROR(service->FinishCompletions());
  return service;
}

Status ReviewService::Sweep() {
  RETURN_IF_ERROR(
      db_.Write([&](db::Transaction& tx) { return ExpireDue(tx, ToUnixMillis(clock_.Now())); }));
  return FinishCompletions();
}

}  // namespace loupe::review
