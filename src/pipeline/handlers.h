#pragma once
// The task handlers of loupe's shipped workflows (DESIGN.md §6): the `loupe:*` resources
// the four state machines in workflows/ call. Each is a thin adapter from a task's JSON input
// to one of the loop's ports (ports/: Detector, HumanReview, ModelDeployment, Notifications,
// Trainer), and each is idempotent — keyed by what it acts on (an object key, a loop name, the
// task's idempotency key) — because the engine may run a task twice after a crash. The ports'
// implementations live in the modules that own the work; app/ plugs them in.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pipeline/ports/detector.h"
#include "pipeline/ports/human_review.h"
#include "pipeline/ports/model_deployment.h"
#include "pipeline/ports/notifications.h"
#include "pipeline/ports/trainer.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/poll_scheduler.h"

namespace loupe::pipeline {

// What the handlers act on; every reference must outlive the engine's work.
struct Ports {
  Detector& detector;
  HumanReview& review;
  ModelDeployment& deployment;
  Notifications& notifications;
  Trainer& trainer;
  workflow::PollScheduler& scheduler;  // re-armed when a poll parameter changes
};

// The name of the human loop for a detection of `object_key` ("det-" + 20 hex of its hash).
std::string LoopNameFor(std::string_view object_key);

// Registers every `loupe:*` resource on `engine`.
void RegisterHandlers(workflow::Engine& engine, const Ports& ports);

// The shipped state machines (name -> ASL JSON), embedded in the binary from workflows/.
const std::vector<std::pair<std::string_view, std::string_view>>& ShippedWorkflows();
// Loads every shipped state machine into `engine` (a changed file becomes a new revision).
[[nodiscard]] Status LoadShippedWorkflows(workflow::Engine& engine);
// The routing rules that start them: images_for_detection/ uploads -> detection,
// TrainingPollDue -> training-poll, ParameterChanged -> parameter-change,
// HumanLoopCompleted -> human-answer.
[[nodiscard]] Status AddShippedRules(workflow::EventRouter& router);

}  // namespace loupe::pipeline
