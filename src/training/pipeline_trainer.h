#pragma once
// PipelineTrainer: training's implementation of the loop's Trainer port
// (pipeline/ports/trainer.h) over TrainingSet, TrainingRunner and the gate. Thread-safe.

#include <filesystem>

#include "models/model_service.h"
#include "pipeline/ports/trainer.h"
#include "store/object_store.h"
#include "training/training_runner.h"
#include "training/training_set.h"

namespace loupe::training {

class PipelineTrainer final : public pipeline::Trainer {
 public:
  // `work_dir` holds the gate's temporary copies of artifacts.
  PipelineTrainer(TrainingSet& training_set, TrainingRunner& runner, models::ModelService& models,
                  store::ObjectStore& store, std::filesystem::path work_dir)
      : training_set_(training_set),
        runner_(runner),
        models_(models),
        store_(store),
        work_dir_(std::move(work_dir)) {}

  Result<int64_t> CountUntrained() const override;
  Result<bool> InFlight() const override;
  Result<std::string> Start(std::string_view request_key, std::string_view actor) override;
  Result<pipeline::GateReport> Evaluate(std::string_view candidate) override;

 private:
  TrainingSet& training_set_;
  TrainingRunner& runner_;
  models::ModelService& models_;
  store::ObjectStore& store_;
  const std::filesystem::path work_dir_;
};

}  // namespace loupe::training
