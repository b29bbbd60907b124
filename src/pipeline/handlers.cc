#include "pipeline/handlers.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "core/sha256.h"
#include "pipeline/gate.h"

namespace loupe::pipeline {
namespace {

using nlohmann::json;
using workflow::TaskContext;
using workflow::TaskOutcome;

// A required string field of a task's input.
Result<std::string> Field(const json& input, std::string_view name) {
  auto it = input.find(name);
  if (it == input.end() || !it->is_string() || it->get<std::string>().empty()) {
    return InvalidArgumentError("task input needs a non-empty string '" + std::string(name) + "'");
  }
  return it->get<std::string>();
}

std::string Actor(const TaskContext& ctx) { return "workflow:" + ctx.execution_id; }

// Wraps a handler body that returns Result<json> into a TaskOutcome.
template <typename Fn>
workflow::TaskHandler Adapt(Fn fn) {
  return [fn = std::move(fn)](const json& input, const TaskContext& ctx) -> TaskOutcome {
    Result<json> r = fn(input, ctx);
    if (!r.ok()) return TaskOutcome::FromStatus(r.status());
    return TaskOutcome::Success(std::move(r).value());
  };
}

std::vector<std::string> LabelsOf(models::ModelRegistry& registry,
                                  const models::VersionId& version) {
  auto v = registry.Get(version);
  std::vector<std::string> labels;
  if (v.ok() && v->summary.contains("labels") && v->summary["labels"].is_array()) {
    for (const json& l : v->summary["labels"]) {
      if (l.is_string()) labels.push_back(l.get<std::string>());
    }
  }
  return labels;
}

TaskOutcome Detect(PipelineServices& s, const json& input) {
  auto key = Field(input, "Key");
  if (!key.ok()) return TaskOutcome::FromStatus(key.status());
  std::optional<models::VersionId> production = s.models.Production();
  constexpr const char* kNoModel = "Loupe.NoModel";
  if (!production) {
    return TaskOutcome::Failure(kNoModel, "no model version is deployed yet; the image waits");
  }
  detect::DetectRequest req;
  req.object_key = *key;
  req.min_confidence = 0;
  Result<detect::DetectResult> r = s.detect.Detect(req);
  if (!r.ok()) {
    // DetectService's FailedPrecondition means "no running production version" (a switch or
    // stop in between): the image waits like one uploaded before the first deployment.
    if (r.status().code() == StatusCode::kFailedPrecondition) {
      return TaskOutcome::Failure(kNoModel, r.status().message());
    }
    TaskOutcome failed = TaskOutcome::FromStatus(r.status());
    if (!failed.transient) {
      // A broken or hostile upload still gets its result object, so a consumer waiting for
      // detection_results/<file>.json learns why instead of waiting forever.
      json record = {{"Image", {{"S3Object", {{"Name", *key}}}}},
                     {"CustomLabels", json::array()},
                     {"Error",
                      {{"Code", std::string(StatusCodeName(r.status().code()))},
                       {"Message", r.status().message()}}}};
      auto put = s.store.Put(detect::ResultKeyFor(*key), record.dump(2));
      if (!put.ok()) return TaskOutcome::FromStatus(put.status());
    }
    return failed;
  }
  json out = {{"Key", *key},
              {"ModelVersion", r->model_version},
              {"ResultKey", r->result_key},
              {"NoneConfidence", r->none_confidence},
              {"Choices", LabelsOf(s.models.registry(), models::VersionId(r->model_version))}};
  if (r->labels.empty()) {
    out["Label"] = nullptr;
    out["Confidence"] = 0.0;
  } else {
    out["Label"] = r->labels.front().name;
    out["Confidence"] = r->labels.front().confidence;
  }
  return TaskOutcome::Success(std::move(out));
}

Result<json> StartHumanLoop(PipelineServices& s, const json& input) {
  ASSIGN_OR_RETURN(std::string key, Field(input, "Key"));
  const json detection = input.value("Detection", json::object());
  LoopRequest req;
  req.name = LoopNameFor(key);
  req.image_key = key;
  if (detection.contains("Choices") && detection["Choices"].is_array()) {
    for (const json& c : detection["Choices"]) {
      if (c.is_string()) req.choices.push_back(c.get<std::string>());
    }
  }
  if (req.choices.empty()) return FailedPreconditionError("no label choices for the review");
  if (detection.contains("Label") && detection["Label"].is_string()) {
    req.model_label = detection["Label"].get<std::string>();
  }
  req.model_confidence = detection.value("Confidence", 0.0);
  return s.hooks.start_human_loop(req);
}

Result<json> ApplyParameter(PipelineServices& s, const json& input) {
  ASSIGN_OR_RETURN(std::string name, Field(input, "Name"));
  json value = input.value("Value", json());
  std::string effect;
  if (name == "Enable-Automatic-Training" || name == "Automatic-Training-Poll-Frequency") {
    RETURN_IF_ERROR(s.scheduler.Rearm());
    ASSIGN_OR_RETURN(std::optional<TimePoint> next, s.scheduler.NextDue());
    effect = next ? "training poll re-armed; next poll at " + FormatRfc3339(*next)
                  : std::string("automatic training is off; no poll is scheduled");
  } else if (name == "Minimum-Inference-Units") {
    if (!value.is_number_integer()) return InvalidArgumentError("units must be an integer");
    RETURN_IF_ERROR(s.models.SetUnits(value.get<int>()));
    effect =
        "running versions rescaled to " + std::to_string(value.get<int>()) + " inference units";
  } else {
    effect = "read live by the workflow steps that use it";
  }
  return json{{"Parameter", name}, {"Value", value}, {"Effect", effect}};
}

Result<json> StopOthers(PipelineServices& s, const TaskContext& ctx) {
  std::optional<models::VersionId> production = s.models.Production();
  json stopped = json::array();
  for (const models::ServingInfo& info : s.models.Serving()) {
    if (production && info.version == *production) continue;
    ASSIGN_OR_RETURN(models::VersionInfo v, s.models.Stop(info.version, Actor(ctx)));
    stopped.push_back(v.version.value());
  }
  return json{{"Production", production ? json(production->value()) : json(nullptr)},
              {"Stopped", stopped}};
}

}  // namespace

std::string LoopNameFor(std::string_view object_key) {
  return "det-" + Sha256Hex(object_key).substr(0, 20);
}

void RegisterHandlers(workflow::Engine& engine, PipelineServices& s) {
  engine.RegisterHandler("loupe:detect",
                         [&s](const json& input, const TaskContext&) { return Detect(s, input); });
  engine.RegisterHandler("loupe:startHumanLoop", Adapt([&s](const json& in, const TaskContext&) {
                           return StartHumanLoop(s, in);
                         }));
  engine.RegisterHandler("loupe:countUntrainedImages",
                         Adapt([&s](const json&, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(int64_t untrained, s.training_set.CountUntrained());
                           ASSIGN_OR_RETURN(bool in_flight, s.runner.InFlight());
                           return json{{"Untrained", untrained}, {"TrainingInFlight", in_flight}};
                         }));
  engine.RegisterHandler("loupe:train", [&s](const json&, const TaskContext& ctx) {
    Result<models::VersionId> v = s.runner.Start(ctx.idempotency_key, Actor(ctx));
    if (!v.ok() && v.status().code() == StatusCode::kFailedPrecondition) {
      return TaskOutcome::Failure("Loupe.TrainingInFlight", v.status().message());
    }
    if (!v.ok()) return TaskOutcome::FromStatus(v.status());
    return TaskOutcome::Success({{"Version", v->value()}});
  });
  engine.RegisterHandler("loupe:describeVersion",
                         Adapt([&s](const json& in, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
                           ASSIGN_OR_RETURN(models::VersionInfo v,
                                            s.models.registry().Get(models::VersionId(version)));
                           return json{{"Version", version},
                                       {"Status", models::VersionStatusName(v.status)},
                                       {"StatusMessage", v.status_message},
                                       {"Metrics", v.summary.value("metrics", json::object())}};
                         }));
  engine.RegisterHandler(
      "loupe:evaluate", Adapt([&s](const json& in, const TaskContext&) -> Result<json> {
        ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
        ASSIGN_OR_RETURN(GateReport report,
                         EvaluateForGate(s.models.registry(), s.store, models::VersionId(version),
                                         s.models.Production(), s.work_dir));
        return report.ToJson();
      }));
  engine.RegisterHandler(
      "loupe:startVersion", Adapt([&s](const json& in, const TaskContext& ctx) -> Result<json> {
        ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
        ASSIGN_OR_RETURN(models::VersionInfo v,
                         s.models.Start(models::VersionId(version), Actor(ctx)));
        return json{{"Version", version}, {"Status", models::VersionStatusName(v.status)}};
      }));
  engine.RegisterHandler(
      "loupe:switchEndpoint", Adapt([&s](const json& in, const TaskContext& ctx) -> Result<json> {
        ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
        std::optional<models::VersionId> before = s.models.Production();
        RETURN_IF_ERROR(s.models.Deploy(models::VersionId(version), Actor(ctx)));
        return json{{"Version", version},
                    {"Previous", before ? json(before->value()) : json(nullptr)}};
      }));
  engine.RegisterHandler("loupe:stopVersion",
                         Adapt([&s](const json&, const TaskContext& ctx) -> Result<json> {
                           return StopOthers(s, ctx);
                         }));
  engine.RegisterHandler("loupe:applyParameter",
                         Adapt([&s](const json& in, const TaskContext&) -> Result<json> {
                           return ApplyParameter(s, in);
                         }));
  engine.RegisterHandler("loupe:notify",
                         Adapt([&s](const json& in, const TaskContext& ctx) -> Result<json> {
                           Notification n;
                           ASSIGN_OR_RETURN(n.topic, Field(in, "Topic"));
                           ASSIGN_OR_RETURN(n.type, Field(in, "Type"));
                           n.subject = in.value("Subject", n.type);
                           n.detail = in.value("Detail", json::object());
                           n.message_id = ctx.idempotency_key;
                           RETURN_IF_ERROR(s.hooks.notify(n));
                           return json{{"MessageId", n.message_id}};
                         }));
  engine.RegisterHandler("loupe:fileHumanAnswer",
                         Adapt([&s](const json& in, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(std::string loop, Field(in, "Loop"));
                           return s.hooks.file_human_answer(loop);
                         }));
}

Status AddShippedRules(workflow::EventRouter& router) {
  using workflow::FieldCondition;
  RETURN_IF_ERROR(router.AddRule({"detection",
                                  events::EventKind::kObjectCreated,
                                  {{"key", FieldCondition::Op::kPrefix, "images_for_detection/"}},
                                  "detection"}));
  RETURN_IF_ERROR(
      router.AddRule({"training-poll", events::EventKind::kTrainingPollDue, {}, "training-poll"}));
  RETURN_IF_ERROR(router.AddRule(
      {"parameter-change", events::EventKind::kParameterChanged, {}, "parameter-change"}));
  return router.AddRule(
      {"human-answer", events::EventKind::kHumanLoopCompleted, {}, "human-answer"});
}

Status LoadShippedWorkflows(workflow::Engine& engine) {
  for (const auto& [name, text] : ShippedWorkflows()) {
    RETURN_IF_ERROR(engine.LoadDefinition(name, text).WithContext("workflow " + std::string(name)));
  }
  return Status::Ok();
}

}  // namespace loupe::pipeline
