#pragma once
// PipelineDetector: detect's implementation of the loop's Detector port
// (pipeline/ports/detector.h) over DetectService. Thread-safe as DetectService is.

#include "detect/detect_service.h"
#include "models/model_service.h"
#include "pipeline/ports/detector.h"
#include "store/object_store.h"

namespace loupe::detect {

class PipelineDetector final : public pipeline::Detector {
 public:
  PipelineDetector(DetectService& detect, models::ModelService& models, store::ObjectStore& store)
      : detect_(detect), models_(models), store_(store) {}

  Result<pipeline::Detection> Detect(std::string_view object_key) override;
  Status RecordFailure(std::string_view object_key, const Status& error) override;

 private:
  DetectService& detect_;
  models::ModelService& models_;
  store::ObjectStore& store_;
};

}  // namespace loupe::detect
