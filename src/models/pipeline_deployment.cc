#include "models/pipeline_deployment.h"

namespace loupe::models {
namespace {

pipeline::VersionState StateOf(const VersionInfo& v) {
  return {v.version.value(), std::string(VersionStatusName(v.status)), v.status_message,
          v.summary.value("metrics", nlohmann::json::object())};
}

}  // namespace

std::optional<std::string> PipelineDeployment::Production() const {
  std::optional<VersionId> production = models_.Production();
  if (!production) return std::nullopt;
  return production->value();
}

Result<pipeline::VersionState> PipelineDeployment::Describe(std::string_view version) const {
  ASSIGN_OR_RETURN(VersionInfo v, models_.registry().Get(VersionId(std::string(version))));
  return StateOf(v);
}

Result<pipeline::VersionState> PipelineDeployment::Start(std::string_view version,
                                                         std::string_view actor) {
  ASSIGN_OR_RETURN(VersionInfo v, models_.Start(VersionId(std::string(version)), actor));
  return StateOf(v);
}

Status PipelineDeployment::Deploy(std::string_view version, std::string_view actor) {
  return models_.Deploy(VersionId(std::string(version)), actor);
}

Result<pipeline::StoppedVersions> PipelineDeployment::StopAllButProduction(std::string_view actor) {
  std::optional<VersionId> production = models_.Production();
  pipeline::StoppedVersions out;
  if (production) out.production = production->value();
  for (const ServingInfo& info : models_.Serving()) {
    if (production && info.version == *production) continue;
    ASSIGN_OR_RETURN(VersionInfo v, models_.Stop(info.version, actor));
    out.stopped.push_back(v.version.value());
  }
  return out;
}

Status PipelineDeployment::SetUnits(int units) { return models_.SetUnits(units); }

}  // namespace loupe::models
