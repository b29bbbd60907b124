#pragma once
// DetectService: DetectCustomLabels (DESIGN.md §12). Takes image bytes or a stored object's
// key, checks the image header before anything is decoded (ml/image_decode.h), runs the
// prediction on an inference unit of the production version (or of a named running version),
// and returns the labels at or above MinConfidence, highest first, with the version that
// answered. A detection of a stored object also writes `detection_results/<file>.json`.
//
// Errors: no deployed model -> FailedPrecondition; a hostile or unreadable image ->
// InvalidArgument naming the problem (PayloadTooLarge when too big); every unit busy beyond
// the admission wait -> ResourceExhausted; unknown object -> NotFound.
//
// Thread-safe. Borrows the model service, store and clock.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "ml/image_decode.h"
#include "ml/predictor.h"
#include "models/model_service.h"
#include "store/object_store.h"

namespace loupe::detect {

struct DetectRequest {
  std::string image_bytes;                // used when object_key is empty
  std::optional<std::string> object_key;  // a stored object instead of bytes
  // 0..100. When absent, each label's assumed threshold (best-F1 confidence on the version's
  // test split) applies, as in the replaced service.
  std::optional<double> min_confidence;
  std::optional<int> max_results;            // >= 1; all when absent
  std::optional<models::VersionId> version;  // a running version instead of production
};

struct DetectTiming {
  double queue_ms = 0;      // waiting for a unit
  double decode_ms = 0;     // header checks + decode
  double inference_ms = 0;  // backbone + head + calibration
  double total_ms = 0;
};

struct DetectResult {
  std::vector<ml::LabelConfidence> labels;  // filtered, highest confidence first
  double none_confidence = 0;
  std::string model_version;
  DetectTiming timing;
  std::string result_key;  // detection_results/<file>.json for a stored object, else empty
};

struct DetectOptions {
  ml::ImageLimits limits;
};

// "detection_results/<file>.json" for "images_for_detection/<file>", else
// "detection_results/<key>.json".
std::string ResultKeyFor(std::string_view object_key);

class DetectService {
 public:
  DetectService(models::ModelService& models, store::ObjectStore& store, const Clock& clock,
                DetectOptions options = {});

  [[nodiscard]] Result<DetectResult> Detect(const DetectRequest& request);

 private:
  models::ModelService& models_;
  store::ObjectStore& store_;
  const Clock& clock_;
  const DetectOptions options_;
};

// The DetectCustomLabels response body: {"CustomLabels":[{"Name","Confidence"}...],
// "ModelVersion"}.
nlohmann::json DetectResponseJson(const DetectResult& result);

}  // namespace loupe::detect
