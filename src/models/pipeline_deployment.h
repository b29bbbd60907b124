#pragma once
// PipelineDeployment: models' implementation of the loop's ModelDeployment port
// (pipeline/ports/model_deployment.h) over ModelService. Thread-safe as ModelService is.

#include "models/model_service.h"
#include "pipeline/ports/model_deployment.h"

namespace loupe::models {

class PipelineDeployment final : public pipeline::ModelDeployment {
 public:
  explicit PipelineDeployment(ModelService& models) : models_(models) {}

  std::optional<std::string> Production() const override;
  Result<pipeline::VersionState> Describe(std::string_view version) const override;
  Result<pipeline::VersionState> Start(std::string_view version, std::string_view actor) override;
  Status Deploy(std::string_view version, std::string_view actor) override;
  Result<pipeline::StoppedVersions> StopAllButProduction(std::string_view actor) override;
  Status SetUnits(int units) override;

 private:
  ModelService& models_;
};

}  // namespace loupe::models
