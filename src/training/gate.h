#pragma once
// The deployment gate's measurements (resource `loupe:evaluate`): the candidate version and
// the version serving production (the champion) are both evaluated on the candidate's test
// split — the current one, which includes every earlier version's test images because splits
// are pinned — with ml::EvaluateOn at confidence 0 (each image's top label counts). The
// training-poll workflow then deploys only if the candidate's macro F1 reaches
// Minimum-F1-Score and it is not worse than the champion's by more than `tolerance`. Test
// images of a label the champion does not know are skipped for the champion (ml::EvaluateOn),
// so its score covers its own labels only.

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "models/model_registry.h"
#include "pipeline/ports/trainer.h"
#include "store/object_store.h"

namespace loupe::training {

using pipeline::GateReport;  // the port's type: the gate step's output

// Evaluates `candidate` (TRAINING_COMPLETED or later) against `champion` (if any) as above.
// `work_dir` holds temporary copies of the artifacts.
Result<GateReport> EvaluateForGate(const models::ModelRegistry& registry,
                                   const store::ObjectStore& store,
                                   const models::VersionId& candidate,
                                   const std::optional<models::VersionId>& champion,
                                   const std::filesystem::path& work_dir, double tolerance = 0.01);

}  // namespace loupe::training
