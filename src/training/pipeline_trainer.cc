#include "training/pipeline_trainer.h"

#include "training/gate.h"

namespace loupe::training {

Result<int64_t> PipelineTrainer::CountUntrained() const { return training_set_.CountUntrained(); }

Result<bool> PipelineTrainer::InFlight() const { return runner_.InFlight(); }

Result<std::string> PipelineTrainer::Start(std::string_view request_key, std::string_view actor) {
  ASSIGN_OR_RETURN(models::VersionId version, runner_.Start(request_key, actor));
  return version.value();
}

Result<pipeline::GateReport> PipelineTrainer::Evaluate(std::string_view candidate) {
  return EvaluateForGate(models_.registry(), store_, models::VersionId(std::string(candidate)),
                         models_.Production(), work_dir_);
}

}  // namespace loupe::training
