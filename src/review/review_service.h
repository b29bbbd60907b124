#pragma once
// ReviewService: human loops and the reviewers' task queue (docs/review.md). A loop asks
// TaskCount reviewers of one team to label one image; each claims a task with a lease (the
// loop's time limit), answers or releases it. When all answers are in they are consolidated
// (strict majority wins; otherwise the loop is Escalated until an operator resolves it); the
// Completed loop's A2I-shaped output.json is written to the object store and a
// HumanLoopCompleted event is appended in the transaction that marks it Completed. FileAnswer
// then copies the image into its label folder exactly once.
//
// All state is in the database (tables review_*), so several processes may share it; time
// comes from the injected Clock (leases and availability are evaluated on access and by
// Sweep). Thread-safe. Borrows the database, clock, store and event log, which must outlive it.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "events/event_log.h"
#include "review/loop_types.h"
#include "store/object_store.h"

namespace loupe::review {

struct ReviewOptions {
  // Fault injection for tests: called by FileAnswer after the copy and before the record;
  // a non-ok Status aborts FileAnswer there, as a crash would.
  std::function<Status()> after_filing_copy;
  // Fault injection for tests: called between writing output.json and marking the loop
  // Completed; a non-ok Status stops the completion there, as a crash would.
  std::function<Status()> after_output_written;
};

struct CreateResult {
  LoopInfo loop;
  bool created = false;  // false: an identical loop of that name already existed
};

class ReviewService {
 public:
  // Applies the review migrations and finishes completions a crash interrupted.
  static Result<std::unique_ptr<ReviewService>> Open(db::Database& db, const Clock& clock,
                                                     store::ObjectStore& store,
                                                     events::EventLog& events,
                                                     ReviewOptions options = {});

  // Starts a loop. Idempotent by name: the same input again returns the existing loop
  // (created = false); a different input is AlreadyExists. NotFound if the image is not in
  // the store; InvalidArgument for bad names, labels, counts or durations.
  Result<CreateResult> CreateLoop(const LoopInput& input);
  // NotFound also when the caller may not see the loop's team.
  Result<LoopInfo> GetLoop(std::string_view name, const Caller& caller);
  // Newest first, at most `limit` (1..1000), optionally of one status.
  Result<std::vector<LoopInfo>> ListLoops(const Caller& caller, std::optional<LoopStatus> status,
                                          int limit);
  // Stops an InProgress or Escalated loop (its open tasks are withdrawn). Stopping a Stopped
  // loop again is ok; Completed or Expired loops are FailedPrecondition.
  Result<LoopInfo> StopLoop(std::string_view name);
  // Deletes a Stopped, Completed or Expired loop's record and its filing record (its output and
  // the image filed into training stay); FailedPrecondition for a loop still open, NotFound if
  // unknown.
  // The name can then be used again.
  Status DeleteLoop(std::string_view name);
  // Completes an Escalated loop with the operator's label (null = none of these). The returned
  // loop is Completed unless writing its output failed; then Sweep completes it.
  Result<LoopInfo> ResolveLoop(std::string_view name, const std::optional<std::string>& label,
                               std::string_view operator_name);

  // Claims the next task for `caller` (lowest model confidence first, then oldest), or
  // nullopt when none is available. Never a loop the caller already claimed or answered.
  Result<std::optional<TaskInfo>> ClaimNext(const Caller& caller);
  // Submits the claimant's answer. FailedPrecondition if the caller does not hold the task
  // (never claimed it, another reviewer holds it, already answered or withdrawn),
  // DeadlineExceeded if its lease expired, InvalidArgument for a label that is not a choice
  // (a new label needs `new_label` and the AllowNewLabels setting). Once the answer is
  // recorded it succeeds, also if finishing the loop's completion must be left to Sweep.
  Result<LoopInfo> Answer(std::string_view task_id, const Caller& caller,
                          const std::optional<std::string>& label, bool new_label);
  // Returns a claimed task to the queue (the caller will not be offered that loop again).
  Status Release(std::string_view task_id, const Caller& caller);
  Result<TaskStats> Stats(const Caller& caller);

  // The image of a loop the caller may see. `key` form: the image of some loop whose team the
  // caller may see, else NotFound.
  Result<std::string> LoopImage(std::string_view name, const Caller& caller);
  Result<std::string> ImageByKey(std::string_view key, const Caller& caller);

  // Files a Completed loop's image into images_labeled_by_folder/<label>/<loop>-<file>
  // (or _none/ for "none of these") and records the filing. Exactly once: a second call, also
  // after a crash between the copy and the record, returns the first filing
  // (newly_filed = false) and stores nothing new. FailedPrecondition unless Completed.
  Result<FilingResult> FileAnswer(std::string_view loop_name);
  // Most recent filings first, at most `limit` (1..1000).
  Result<std::vector<FilingResult>> ListFilings(int limit);

  Result<ReviewSettings> Settings();
  Status SetSettings(const ReviewSettings& settings);

  // Expires loops past their availability lifetime and finishes interrupted completions.
  // Safe to call at any time from any thread (the app calls it periodically).
  Status Sweep();

  const Clock& clock() const { return clock_; }

 private:
  ReviewService(db::Database& db, const Clock& clock, store::ObjectStore& store,
                events::EventLog& events, ReviewOptions options)
      : db_(db), clock_(clock), store_(store), events_(events), options_(std::move(options)) {}

  // Writes output.json of each loop whose completion is decided but not done, then marks it
  // Completed with its event.
  Status FinishCompletions();
  Status FinishCompletion(const std::string& name);
  // The decision is durable once recorded: if finishing fails now (a store error), the answer
  // or resolution still succeeded and Sweep (or the next Open) finishes the completion.
  void FinishOrLeaveToSweep(const std::string& name);

  db::Database& db_;
  const Clock& clock_;
  store::ObjectStore& store_;
  events::EventLog& events_;
  const ReviewOptions options_;
};

// The A2I-shaped output.json of a Completed (or completing) loop; deterministic.
std::string OutputJson(const LoopInfo& loop);

}  // namespace loupe::review
