#pragma once
// The task handlers of loupe's shipped workflows (DESIGN.md §6): the `loupe:*` resources
// the four state machines in workflows/ call. Each is a thin adapter from a task's JSON input
// to a module's C++ API, and each is idempotent — keyed by what it acts on (an object key, a
// loop name, the task's idempotency key) — because the engine may run a task twice after a
// crash. Review and notifications are reached through hooks the app fills in, so this module
// does not depend on them.

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "detect/detect_service.h"
#include "models/model_service.h"
#include "params/parameter_store.h"
#include "pipeline/training_runner.h"
#include "pipeline/training_set.h"
#include "store/object_store.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/poll_scheduler.h"

namespace loupe::pipeline {

struct Notification {
  std::string topic;  // "operator" | "consumer"
  std::string type;   // e.g. "TrainingSucceeded"
  std::string subject;
  nlohmann::json detail;
  std::string message_id;  // de-duplication id (the task's idempotency key)
};

struct LoopRequest {
  std::string name;  // deterministic per image, so a repeated task creates one loop
  std::string image_key;
  std::vector<std::string> choices;
  std::string model_label;  // empty when the model returned none
  double model_confidence = 0;
};

// What the app connects to other modules. Every hook must be set.
struct PipelineHooks {
  // Creates a human review loop (idempotent by name); returns its description.
  std::function<Result<nlohmann::json>(const LoopRequest&)> start_human_loop;
  // Files a completed loop's consolidated answer into the training set (exactly once).
  std::function<Result<nlohmann::json>(std::string_view loop_name)> file_human_answer;
  // Publishes a notification (idempotent by message id).
  std::function<Status(const Notification&)> notify;
};

struct PipelineServices {
  models::ModelService& models;
  detect::DetectService& detect;
  TrainingSet& training_set;
  TrainingRunner& runner;
  workflow::PollScheduler& scheduler;
  store::ObjectStore& store;
  std::filesystem::path work_dir;  // scratch space for gate evaluations
  PipelineHooks hooks;
};

// The name of the human loop for a detection of `object_key` ("det-" + 20 hex of its hash).
std::string LoopNameFor(std::string_view object_key);

// Registers every `loupe:*` resource on `engine`. `services` must outlive the engine's work.
void RegisterHandlers(workflow::Engine& engine, PipelineServices& services);

// The shipped state machines (name -> ASL JSON), embedded in the binary from workflows/.
const std::vector<std::pair<std::string_view, std::string_view>>& ShippedWorkflows();
// Loads every shipped state machine into `engine` (a changed file becomes a new revision).
[[nodiscard]] Status LoadShippedWorkflows(workflow::Engine& engine);
// The routing rules that start them: images_for_detection/ uploads -> detection,
// TrainingPollDue -> training-poll, ParameterChanged -> parameter-change,
// HumanLoopCompleted -> human-answer.
[[nodiscard]] Status AddShippedRules(workflow::EventRouter& router);

}  // namespace loupe::pipeline
