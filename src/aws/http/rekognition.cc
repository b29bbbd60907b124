// Rekognition Custom Labels over loupe's models: one project (AwsOptions::project) whose
// versions are loupe's model versions, DetectCustomLabels on a running version, training from
// images_labeled_by_folder/ for CreateProjectVersion.

#include <algorithm>

#include "aws/http/handlers.h"
#include "detect/detect_service.h"
#include "detect/http/detect_routes.h"
#include "models/model_service.h"
#include "params/parameter_store.h"
#include "training/training_runner.h"

namespace loupe::aws {
namespace {

using models::VersionId;
using models::VersionInfo;
using models::VersionStatus;
using nlohmann::json;

Result<VersionId> VersionFromBody(const json& body, const AwsOptions& o) {
  ASSIGN_OR_RETURN(std::string arn, NeedString(body, "ProjectVersionArn"));
  ASSIGN_OR_RETURN(std::string name, VersionOfArn(o, arn));
  return VersionId(name);
}

Status NeedProject(const json& body, const AwsOptions& o) {
  ASSIGN_OR_RETURN(std::string arn, NeedString(body, "ProjectArn"));
  if (!IsProjectArn(o, arn)) {
    return NotFoundError("ResourceNotFoundException: " + arn + " is not this server's project " +
                         ProjectArn(o));
  }
  return Status::Ok();
}

// Seconds from the start of a version's training to its end, when it has ended.
std::optional<TimePoint> TrainingEnd(models::ModelRegistry& registry, const VersionInfo& v) {
  auto history = registry.History(v.version);
  if (!history.ok()) return std::nullopt;
  for (const auto& t : *history) {
    if (t.from == VersionStatus::kTraining) return t.at;
  }
  return std::nullopt;
}

json DescriptionJson(const VersionInfo& v, const AwsBackends& b, const AwsOptions& o) {
  json d = {{"ProjectVersionArn", VersionArn(o, v.version.value(), v.created_at)},
            {"CreationTimestamp", EpochSeconds(v.created_at)},
            {"Status", std::string(models::VersionStatusName(v.status))},
            {"StatusMessage", v.status_message},
            {"MinInferenceUnits", b.params.GetInt(params::kMinimumInferenceUnits)},
            {"OutputConfig", {{"S3Bucket", o.bucket}, {"S3KeyPrefix", v.artifact_prefix}}}};
  if (auto end = TrainingEnd(b.models.registry(), v)) {
    d["TrainingEndTimestamp"] = EpochSeconds(*end);
    d["BillableTrainingTimeInSeconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(*end - v.created_at).count();
  }
  const json& metrics = v.summary.contains("metrics") ? v.summary["metrics"] : json();
  if (metrics.is_object() && metrics.contains("macro_f1")) {
    d["EvaluationResult"] = {
        {"F1Score", metrics["macro_f1"]},
        {"Summary",
         {{"S3Object", {{"Bucket", o.bucket}, {"Name", v.artifact_prefix + "evaluation.json"}}}}}};
    d["ManifestSummary"] = {
        {"S3Object",
         {{"Bucket", o.bucket}, {"Name", "manifests/" + v.version.value() + ".manifest"}}}};
  }
  return d;
}

Result<json> Detect(const json& body, const AwsBackends& b, const AwsOptions& o) {
  ASSIGN_OR_RETURN(VersionId version, VersionFromBody(body, o));
  if (body.contains("Image") && body["Image"].is_object() && body["Image"].contains("S3Object")) {
    const json& s3 = body["Image"]["S3Object"];
    if (s3.is_object() && s3.contains("Bucket") && s3["Bucket"] != o.bucket) {
      return InvalidArgumentError("InvalidS3ObjectException: this server's bucket is '" + o.bucket +
                                  "'");
    }
  }
  json plain = body;
  plain.erase("ProjectVersionArn");
  plain.erase("ProjectVersion");
  auto request = detect::ParseDetectJson(plain);
  if (!request.ok()) return request.status();
  if (request->min_confidence && (*request->min_confidence < 0 || *request->min_confidence > 100)) {
    return InvalidArgumentError("MinConfidence must be in [0, 100]");
  }
  if (b.models.Production() != version) request->version = version;
  auto result = b.detect.Detect(*request);
  if (!result.ok()) {
    const Status& s = result.status();
    if (s.code() == StatusCode::kFailedPrecondition) {
      return WithCode("ResourceNotReadyException", s);
    }
    if (s.code() == StatusCode::kNotFound && request->object_key) {
      return WithCode("InvalidS3ObjectException", s);
    }
    if (s.code() == StatusCode::kInvalidArgument && !request->object_key) {
      return WithCode("InvalidImageFormatException", s);
    }
    return s;
  }
  json out = detect::DetectResponseJson(*result);
  out.erase("ModelVersion");
  return out;
}

Result<json> DescribeVersions(const json& body, const AwsBackends& b, const AwsOptions& o) {
  RETURN_IF_ERROR(NeedProject(body, o));
  std::vector<std::string> names;
  if (body.contains("VersionNames")) {
    if (!body["VersionNames"].is_array()) {
      return InvalidArgumentError("VersionNames must be a list");
    }
    for (const json& n : body["VersionNames"]) {
      if (n.is_string()) names.push_back(n.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(int64_t max, OptInt(body, "MaxResults", 100, 1, 100));
  ASSIGN_OR_RETURN(std::string token, OptString(body, "NextToken"));
  ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, b.models.registry().List());
  std::reverse(versions.begin(), versions.end());  // newest first, as Rekognition lists them
  std::vector<const VersionInfo*> matching;
  for (const VersionInfo& v : versions) {
    if (names.empty() || std::find(names.begin(), names.end(), v.version.value()) != names.end()) {
      matching.push_back(&v);
    }
  }
  return Page(matching.size(), token, max, "ProjectVersionDescriptions",
              "InvalidPaginationTokenException",
              [&](size_t i) { return DescriptionJson(*matching[i], b, o); });
}

Result<json> CreateVersion(const server::HttpRequest& req, const json& body, const AwsBackends& b,
                           const AwsOptions& o) {
  RETURN_IF_ERROR(NeedProject(body, o));
  ASSIGN_OR_RETURN(std::string name, NeedString(body, "VersionName"));
  if (!body.contains("OutputConfig") || !body["OutputConfig"].is_object()) {
    return InvalidArgumentError("OutputConfig is required ({S3Bucket, S3KeyPrefix})");
  }
  for (const char* field : {"TrainingData", "TestingData"}) {
    if (body.contains(field) && body[field].is_object() && body[field].contains("Assets")) {
      return InvalidArgumentError(std::string(field) +
                                  ".Assets is not supported: loupe trains from "
                                  "images_labeled_by_folder/ and splits by content hash");
    }
  }
  if (b.models.registry().Get(VersionId(name)).ok()) {
    return AlreadyExistsError("ResourceInUseException: version " + name + " already exists");
  }
  auto started = b.training.Start("aws:" + name, req.principal, name);
  if (!started.ok()) {
    if (started.status().code() == StatusCode::kFailedPrecondition) {
      return WithCode("LimitExceededException", started.status());
    }
    return started.status();
  }
  ASSIGN_OR_RETURN(VersionInfo v, b.models.registry().Get(*started));
  return json{{"ProjectVersionArn", VersionArn(o, v.version.value(), v.created_at)}};
}

Result<json> Handle(std::string_view action, const server::HttpRequest& req, const AwsBackends& b,
                    const AwsOptions& o) {
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  if (action == "DetectCustomLabels") {
    RETURN_IF_ERROR(Need(req, Role::kConsumer, action));
    return Detect(body, b, o);
  }
  RETURN_IF_ERROR(Need(req, Role::kOperator, action));
  if (action == "DescribeProjects") {
    json list = json::array();
    bool wanted = true;
    if (body.contains("ProjectNames") && body["ProjectNames"].is_array()) {
      wanted = std::find(body["ProjectNames"].begin(), body["ProjectNames"].end(),
                         json(o.project)) != body["ProjectNames"].end();
    }
    ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, b.models.registry().List());
    TimePoint created = versions.empty() ? TimePoint{} : versions.front().created_at;
    if (wanted) {
      list.push_back({{"ProjectArn", ProjectArn(o)},
                      {"CreationTimestamp", EpochSeconds(created)},
                      {"Status", "CREATED"}});
    }
    return json{{"ProjectDescriptions", list}};
  }
  if (action == "DescribeProjectVersions") return DescribeVersions(body, b, o);
  if (action == "CreateProjectVersion") return CreateVersion(req, body, b, o);
  if (action == "StartProjectVersion") {
    ASSIGN_OR_RETURN(VersionId version, VersionFromBody(body, o));
    ASSIGN_OR_RETURN(int64_t units, OptInt(body, "MinInferenceUnits", 0, 1, 1000));
    if (units == 0) return InvalidArgumentError("MinInferenceUnits is required (>= 1)");
    // Uploads are detected by the production version: with none yet, the started version
    // becomes it (blue/green from nothing); otherwise it serves calls that name its ARN.
    if (!b.models.Production()) {
      RETURN_IF_ERROR(b.models.Deploy(version, req.principal));
    } else {
      RETURN_IF_ERROR(b.models.Start(version, req.principal).status());
    }
    ASSIGN_OR_RETURN(VersionInfo v, b.models.registry().Get(version));
    return json{{"Status", std::string(models::VersionStatusName(v.status))}};
  }
  if (action == "StopProjectVersion") {
    ASSIGN_OR_RETURN(VersionId version, VersionFromBody(body, o));
    ASSIGN_OR_RETURN(VersionInfo v, b.models.Stop(version, req.principal));
    return json{{"Status", std::string(models::VersionStatusName(v.status))}};
  }
  return InvalidArgumentError("InvalidAction: loupe's Rekognition does not implement " +
                              std::string(action) + " (see docs/aws-compatibility.md)");
}

}  // namespace

server::HttpResponse Rekognition(std::string_view action, const server::HttpRequest& req,
                                 const AwsBackends& b, const AwsOptions& o) {
  auto out = Handle(action, req, b, o);
  if (!out.ok()) return ErrorResponse(Service::kRekognition, out.status());
  return JsonOk(Service::kRekognition, *out);
}

}  // namespace loupe::aws
