// Completion of a decided loop: its A2I-shaped output.json is written to the object store,
// then the loop is marked Completed with its HumanLoopCompleted event in one transaction.
// Deterministic and repeatable, so Open and Sweep finish a completion a crash interrupted.
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "review/review_service.h"
#include "review/review_tables.h"

namespace loupe::review {

using nlohmann::json;

std::string OutputJson(const LoopInfo& loop) {
  json answers = json::array();
  for (const Answer& a : loop.answers) {
    json content = {{"Label", JsonOrNull(a.label)}};
    if (a.new_label) content["NewLabel"] = true;
    double spent = std::chrono::duration<double>(a.submitted - a.accepted).count();
    answers.push_back(
        {{"acceptanceTime", FormatRfc3339(a.accepted)},
         {"answerContent", content},
         {"submissionTime", FormatRfc3339(a.submitted)},
         {"timeSpentInSeconds", spent},
         {"workerId", a.worker},
         {"workerMetadata",
          {{"identityData",
            {{"identityProviderType", "loupe"}, {"issuer", "loupe"}, {"sub", a.worker}}}}}});
  }
  json out = {{"flowDefinitionArn", "arn:loupe:review:::flow-definition/" + loop.input.team},
              {"humanAnswers", answers},
              {"humanLoopName", loop.input.name},
              {"inputContent", InputContent(loop.input)},
              {"consolidatedAnswer",
               {{"Label", JsonOrNull(loop.label)},
                {"DecidedBy", loop.decided_by},
                {"CompletionTime",
                 loop.completed ? json(FormatRfc3339(*loop.completed)) : json(nullptr)}}}};
  return out.dump(2) + "\n";
}

Status ReviewService::FinishCompletions() {
  std::vector<std::string> names;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT name FROM review_loops WHERE completing = 1 ORDER BY seq"));
    for (const db::Row& r : rows) names.push_back(r.Text(0));
    return Status::Ok();
  }));
  for (const std::string& name : names) RETURN_IF_ERROR(FinishCompletion(name));
  return Status::Ok();
}

void ReviewService::FinishOrLeaveToSweep(const std::string& name) {
  if (Status s = FinishCompletion(name); !s.ok()) {
    spdlog::warn("review: completing human loop '{}' failed, Sweep retries it: {}", name,
                 s.ToString());
  }
}

Status ReviewService::FinishCompletion(const std::string& name) {
  std::optional<LoopRow> loop;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(loop, LoadLoop(tx, name));
    return Status::Ok();
  }));
  if (!loop || !loop->completing) return Status::Ok();
  // Deterministic content: writing it again after a crash stores the same object (and the
  // store makes no second ObjectCreated for identical content).
  const std::string key = "human_loops/" + name + "/output.json";
  RETURN_IF_ERROR(store_.Put(key, OutputJson(loop->info)).status());
  if (options_.after_output_written) RETURN_IF_ERROR(options_.after_output_written());
  return db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE review_loops SET status = ?, completing = 0 "
                                              "WHERE name = ? AND completing = 1",
                                              {StateParam(LoopStatus::kCompleted), name}));
    if (changed != 1) return Status::Ok();  // another thread finished it
    return events_
        .Append(tx, events::EventKind::kHumanLoopCompleted,
                {{"loop", name}, {"label", JsonOrNull(loop->info.label)}})
        .status();
  });
}

}  // namespace loupe::review
