#include "training/http/training_routes.h"

#include <nlohmann/json.hpp>

namespace loupe::training {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

json ActivityJson(const TrainingActivity& a) {
  return {{"Version", a.version},   {"Phase", a.phase},
          {"Epoch", a.phase_index}, {"Epochs", a.phases},
          {"Step", a.step},         {"Steps", a.total_steps},
          {"Loss", a.loss},         {"StartedAt", FormatRfc3339(a.started)}};
}

}  // namespace

void AddTrainingRoutes(server::Router& router, db::Database& db, events::EventLog& events,
                       TrainingSet& training_set, TrainingRunner& runner) {
  router.Add(
      {"GET", "/v1/dataset", Role::kOperator,
       "Training images per label, negatives and untrained images (from the index).",
       [&training_set](const HttpRequest&) {
         auto s = training_set.Summary();
         if (!s.ok()) return HttpResponse::Error(s.status());
         json labels = json::array();
         for (const LabelCount& l : s->labels) {
           labels.push_back({{"Name", l.label}, {"Images", l.images}, {"Untrained", l.untrained}});
         }
         return HttpResponse::Json(200, {{"Labels", labels},
                                         {"Negatives", s->negatives},
                                         {"Untrained", s->untrained},
                                         {"Total", s->total}});
       }});
  router.Add({"GET", "/v1/training", Role::kOperator,
              "The training in progress (phase, step, loss), or null.",
              [&runner](const HttpRequest&) {
                std::optional<TrainingActivity> a = runner.Active();
                return HttpResponse::Json(200, {{"Active", a ? ActivityJson(*a) : json(nullptr)}});
              }});
  router.Add({"POST", "/v1/training/poll", Role::kOperator,
              "Run the training poll now (emits TrainingPollDue; the workflow decides).",
              [&db, &events](const HttpRequest& req) {
                Result<EventId> id = InternalError("not appended");
                Status s = db.Write([&](db::Transaction& tx) -> Status {
                  id = events.Append(tx, events::EventKind::kTrainingPollDue,
                                     {{"requested_by", req.principal}});
                  return id.status();
                });
                if (!s.ok()) return HttpResponse::Error(s);
                return HttpResponse::Json(202, {{"EventId", id->value()}});
              }});
}

}  // namespace loupe::training
