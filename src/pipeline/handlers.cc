#include "pipeline/handlers.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "core/sha256.h"

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

TaskOutcome Detect(const Ports& p, const json& input) {
  auto key = Field(input, "Key");
  if (!key.ok()) return TaskOutcome::FromStatus(key.status());
  Result<Detection> r = p.detector.Detect(*key);
  if (!r.ok()) {
    // FailedPrecondition means "no running production version" (none deployed yet, or a
    // switch or stop in between): the image waits like one uploaded before the first
    // deployment.
    if (r.status().code() == StatusCode::kFailedPrecondition) {
      return TaskOutcome::Failure("Loupe.NoModel", r.status().message());
    }
    TaskOutcome failed = TaskOutcome::FromStatus(r.status());
    if (!failed.transient) {
      // A broken or hostile upload still gets its result object.
      if (Status s = p.detector.RecordFailure(*key, r.status()); !s.ok()) {
        return TaskOutcome::FromStatus(s);
      }
    }
    return failed;
  }
  json out = {{"Key", r->key},
              {"ModelVersion", r->model_version},
              {"ResultKey", r->result_key},
              {"NoneConfidence", r->none_confidence},
              {"Choices", r->choices},
              {"Label", r->label ? json(*r->label) : json(nullptr)},
              {"Confidence", r->label ? r->confidence : 0.0}};
  return TaskOutcome::Success(std::move(out));
}

Result<json> StartHumanLoop(const Ports& p, const json& input) {
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
  ASSIGN_OR_RETURN(StartedLoop loop, p.review.StartLoop(req));
  return ToJson(loop);
}

Result<json> ApplyParameter(const Ports& p, const json& input) {
  ASSIGN_OR_RETURN(std::string name, Field(input, "Name"));
  json value = input.value("Value", json());
  std::string effect;
  if (name == "Enable-Automatic-Training" || name == "Automatic-Training-Poll-Frequency") {
    RETURN_IF_ERROR(p.scheduler.Rearm());
    ASSIGN_OR_RETURN(std::optional<TimePoint> next, p.scheduler.NextDue());
    effect = next ? "training poll re-armed; next poll at " + FormatRfc3339(*next)
                  : std::string("automatic training is off; no poll is scheduled");
  } else if (name == "Minimum-Inference-Units") {
    if (!value.is_number_integer()) return InvalidArgumentError("units must be an integer");
    RETURN_IF_ERROR(p.deployment.SetUnits(value.get<int>()));
    effect =
        "running versions rescaled to " + std::to_string(value.get<int>()) + " inference units";
  } else {
    effect = "read live by the workflow steps that use it";
  }
  return json{{"Parameter", name}, {"Value", value}, {"Effect", effect}};
}

Result<json> StopOthers(const Ports& p, const TaskContext& ctx) {
  ASSIGN_OR_RETURN(StoppedVersions s, p.deployment.StopAllButProduction(Actor(ctx)));
  return json{{"Production", s.production ? json(*s.production) : json(nullptr)},
              {"Stopped", s.stopped}};
}

json StateJson(const VersionState& v) {
  return {{"Version", v.version},
          {"Status", v.status},
          {"StatusMessage", v.status_message},
          {"Metrics", v.metrics}};
}

}  // namespace

std::string LoopNameFor(std::string_view object_key) {
  return "det-" + Sha256Hex(object_key).substr(0, 20);
}

void RegisterHandlers(workflow::Engine& engine, const Ports& ports) {
  const Ports p = ports;
  engine.RegisterHandler("loupe:detect",
                         [p](const json& input, const TaskContext&) { return Detect(p, input); });
  engine.RegisterHandler("loupe:startHumanLoop", Adapt([p](const json& in, const TaskContext&) {
                           return StartHumanLoop(p, in);
                         }));
  engine.RegisterHandler("loupe:countUntrainedImages",
                         Adapt([p](const json&, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(int64_t untrained, p.trainer.CountUntrained());
                           ASSIGN_OR_RETURN(bool in_flight, p.trainer.InFlight());
                           return json{{"Untrained", untrained}, {"TrainingInFlight", in_flight}};
                         }));
  engine.RegisterHandler("loupe:train", [p](const json&, const TaskContext& ctx) {
    Result<std::string> v = p.trainer.Start(ctx.idempotency_key, Actor(ctx));
    if (!v.ok() && v.status().code() == StatusCode::kFailedPrecondition) {
      return TaskOutcome::Failure("Loupe.TrainingInFlight", v.status().message());
    }
    if (!v.ok()) return TaskOutcome::FromStatus(v.status());
    return TaskOutcome::Success({{"Version", *v}});
  });
  engine.RegisterHandler("loupe:describeVersion",
                         Adapt([p](const json& in, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
                           ASSIGN_OR_RETURN(VersionState v, p.deployment.Describe(version));
                           return StateJson(v);
                         }));
  engine.RegisterHandler("loupe:evaluate",
                         Adapt([p](const json& in, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
                           ASSIGN_OR_RETURN(GateReport report, p.trainer.Evaluate(version));
                           return report.ToJson();
                         }));
  engine.RegisterHandler(
      "loupe:startVersion", Adapt([p](const json& in, const TaskContext& ctx) -> Result<json> {
        ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
        ASSIGN_OR_RETURN(VersionState v, p.deployment.Start(version, Actor(ctx)));
        return json{{"Version", version}, {"Status", v.status}};
      }));
  engine.RegisterHandler(
      "loupe:switchEndpoint", Adapt([p](const json& in, const TaskContext& ctx) -> Result<json> {
        ASSIGN_OR_RETURN(std::string version, Field(in, "Version"));
        std::optional<std::string> before = p.deployment.Production();
        RETURN_IF_ERROR(p.deployment.Deploy(version, Actor(ctx)));
        return json{{"Version", version}, {"Previous", before ? json(*before) : json(nullptr)}};
      }));
  engine.RegisterHandler("loupe:stopVersion",
                         Adapt([p](const json&, const TaskContext& ctx) -> Result<json> {
                           return StopOthers(p, ctx);
                         }));
  engine.RegisterHandler("loupe:applyParameter",
                         Adapt([p](const json& in, const TaskContext&) -> Result<json> {
                           return ApplyParameter(p, in);
                         }));
  engine.RegisterHandler("loupe:notify",
                         Adapt([p](const json& in, const TaskContext& ctx) -> Result<json> {
                           Notification n;
                           ASSIGN_OR_RETURN(n.topic, Field(in, "Topic"));
                           ASSIGN_OR_RETURN(n.type, Field(in, "Type"));
                           n.subject = in.value("Subject", n.type);
                           n.detail = in.value("Detail", json::object());
                           n.message_id = ctx.idempotency_key;
                           RETURN_IF_ERROR(p.notifications.Publish(n));
                           return json{{"MessageId", n.message_id}};
                         }));
  engine.RegisterHandler("loupe:fileHumanAnswer",
                         Adapt([p](const json& in, const TaskContext&) -> Result<json> {
                           ASSIGN_OR_RETURN(std::string loop, Field(in, "Loop"));
                           ASSIGN_OR_RETURN(FiledAnswer filed, p.review.FileAnswer(loop));
                           return ToJson(filed);
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
