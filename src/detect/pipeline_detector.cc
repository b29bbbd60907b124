#include "detect/pipeline_detector.h"

#include <nlohmann/json.hpp>

namespace loupe::detect {
namespace {

using nlohmann::json;

// The labels version `version` was trained on (its summary's "labels"), the review's choices.
std::vector<std::string> LabelsOf(const models::ModelRegistry& registry,
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

}  // namespace

Result<pipeline::Detection> PipelineDetector::Detect(std::string_view object_key) {
  if (!models_.Production()) {
    return FailedPreconditionError("no model version is deployed yet; the image waits");
  }
  DetectRequest req;
  req.object_key = std::string(object_key);
  req.min_confidence = 0;
  ASSIGN_OR_RETURN(DetectResult r, detect_.Detect(req));
  pipeline::Detection out;
  out.key = std::string(object_key);
  out.model_version = r.model_version;
  out.result_key = r.result_key;
  out.none_confidence = r.none_confidence;
  if (!r.labels.empty()) {
    out.label = r.labels.front().name;
    out.confidence = r.labels.front().confidence;
  }
  out.choices = LabelsOf(models_.registry(), models::VersionId(r.model_version));
  return out;
}

Status PipelineDetector::RecordFailure(std::string_view object_key, const Status& error) {
  json record = {
      {"Image", {{"S3Object", {{"Name", std::string(object_key)}}}}},
      {"CustomLabels", json::array()},
      {"Error",
       {{"Code", std::string(StatusCodeName(error.code()))}, {"Message", error.message()}}}};
  return store_.Put(ResultKeyFor(object_key), record.dump(2)).status();
}

}  // namespace loupe::detect
