#pragma once
// HTTP routes of the improvement loop: the dataset's label counts and untrained images
// (GET /v1/dataset), the training in progress (GET /v1/training), and "poll now"
// (POST /v1/training/poll: the same durable TrainingPollDue event the schedule emits, so a
// poll started by hand runs the shipped training-poll workflow with its gate), and the dataset's
// import and export. Operator role.

#include "db/database.h"
#include "events/event_log.h"
#include "server/router.h"
#include "training/training_runner.h"
#include "training/training_set.h"

namespace loupe::training {

void AddTrainingRoutes(server::Router& router, db::Database& db, events::EventLog& events,
                       TrainingSet& training_set, TrainingRunner& runner);

// Dataset import and export (docs/datasets.md): GET /v1/dataset/export?format= and
// POST /v1/dataset/import. `bucket_uri` ("s3://loupe/") prefixes exported source-refs.
void AddDatasetRoutes(server::Router& router, models::ModelRegistry& registry,
                      store::ObjectStore& store, const Clock& clock, const std::string& bucket_uri);

}  // namespace loupe::training
