#pragma once
// ModelDeployment: the port through which the loop moves model versions through their
// lifecycle — describe, start, switch production, stop the others, rescale (implemented by
// models/, see models/pipeline_deployment.h). `actor` is recorded with each transition.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace loupe::pipeline {

struct VersionState {  // NOLINT(bugprone-exception-escape): json member's implicit moves
  std::string version;
  std::string status;  // the models module's status name, e.g. "TRAINING_COMPLETED"
  std::string status_message;
  nlohmann::json metrics = nlohmann::json::object();
};

struct StoppedVersions {
  std::optional<std::string> production;
  std::vector<std::string> stopped;
};

class ModelDeployment {
 public:
  virtual ~ModelDeployment() = default;
  [[nodiscard]] virtual std::optional<std::string> Production() const = 0;
  [[nodiscard]] virtual Result<VersionState> Describe(std::string_view version) const = 0;
  // Starts `version`'s inference units; returns its state after the start.
  [[nodiscard]] virtual Result<VersionState> Start(std::string_view version,
                                                   std::string_view actor) = 0;
  // Switches production traffic to `version` (running) with no request lost.
  [[nodiscard]] virtual Status Deploy(std::string_view version, std::string_view actor) = 0;
  // Stops every running version but production's.
  [[nodiscard]] virtual Result<StoppedVersions> StopAllButProduction(std::string_view actor) = 0;
  // Rescales every running version to `units` inference units.
  [[nodiscard]] virtual Status SetUnits(int units) = 0;
};

}  // namespace loupe::pipeline
