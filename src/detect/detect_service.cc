#include "detect/detect_service.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <nlohmann/json.hpp>

namespace loupe::detect {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point start, Steady::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// What a unit hands back: the full prediction, the per-label default thresholds, timings.
struct UnitAnswer {
  ml::Prediction prediction;
  std::map<std::string, double> assumed_thresholds;
  double decode_ms = 0;
  double inference_ms = 0;
};

}  // namespace

std::string ResultKeyFor(std::string_view object_key) {
  constexpr std::string_view kInput = "images_for_detection/";
  std::string_view rest = object_key;
  if (rest.substr(0, kInput.size()) == kInput) rest.remove_prefix(kInput.size());
  return "detection_results/" + std::string(rest) + ".json";
}

DetectService::DetectService(models::ModelService& models, store::ObjectStore& store,
                             const Clock& clock, DetectOptions options)
    : models_(models), store_(store), clock_(clock), options_(options) {}

Result<DetectResult> DetectService::Detect(const DetectRequest& request) {
  const Steady::time_point start = Steady::now();
  if (request.min_confidence && !(*request.min_confidence >= 0 && *request.min_confidence <= 100)) {
    return InvalidArgumentError("MinConfidence must be a number in [0, 100]");
  }
  if (request.max_results && *request.max_results < 1) {
    return InvalidArgumentError("MaxResults must be an integer >= 1");
  }
  // The lease first: with no deployed model the caller learns that before uploading work.
  ASSIGN_OR_RETURN(models::Lease lease, models_.Acquire(request.version));

  std::shared_ptr<const std::string> bytes;
  if (request.object_key) {
    ASSIGN_OR_RETURN(std::string stored, store_.Get(*request.object_key));
    bytes = std::make_shared<const std::string>(std::move(stored));
  } else {
    bytes = std::make_shared<const std::string>(request.image_bytes);
  }
  // Header checks on the request thread: hostile input never takes a unit's time.
  RETURN_IF_ERROR(ml::ProbeImage(*bytes, options_.limits).status());

  auto promise = std::make_shared<std::promise<Result<UnitAnswer>>>();
  std::future<Result<UnitAnswer>> answer = promise->get_future();
  const ml::ImageLimits limits = options_.limits;
  Steady::time_point dequeued;
  auto dequeued_at = std::make_shared<Steady::time_point>();
  RETURN_IF_ERROR(
      lease.pool().Submit([bytes, limits, promise, dequeued_at](const ml::Predictor& p, int) {
        *dequeued_at = Steady::now();
        UnitAnswer out;
        Result<ml::Image> image = ml::DecodeImage(*bytes, p.DecodeOptionsFor(limits));
        Steady::time_point decoded = Steady::now();
        out.decode_ms = MsSince(*dequeued_at, decoded);
        if (!image.ok()) return promise->set_value(image.status());
        Result<std::vector<ml::Prediction>> pred = p.PredictBatch({&*image});
        out.inference_ms = MsSince(decoded, Steady::now());
        if (!pred.ok()) return promise->set_value(pred.status());
        out.prediction = std::move(pred->front());
        for (const ml::LabelMetrics& m : p.artifact().evaluation.per_label) {
          out.assumed_thresholds[m.name] = m.assumed_threshold;
        }
        promise->set_value(std::move(out));
      }));
  Result<UnitAnswer> unit = answer.get();
  dequeued = *dequeued_at;
  if (!unit.ok()) return unit.status();

  DetectResult result;
  result.model_version = lease.version().value();
  result.none_confidence = unit->prediction.none_confidence;
  for (const ml::LabelConfidence& l : unit->prediction.labels) {
    double threshold = 0;
    if (request.min_confidence) {
      threshold = *request.min_confidence;
    } else if (auto it = unit->assumed_thresholds.find(l.name);
               it != unit->assumed_thresholds.end()) {
      threshold = it->second;
    }
    if (l.confidence >= threshold) result.labels.push_back(l);
  }
  std::stable_sort(result.labels.begin(), result.labels.end(),
                   [](const ml::LabelConfidence& a, const ml::LabelConfidence& b) {
                     return a.confidence > b.confidence;
                   });
  if (request.max_results && static_cast<int>(result.labels.size()) > *request.max_results) {
    result.labels.resize(static_cast<size_t>(*request.max_results));
  }
  result.timing.queue_ms = MsSince(start, dequeued);
  result.timing.decode_ms = unit->decode_ms;
  result.timing.inference_ms = unit->inference_ms;
  result.timing.total_ms = MsSince(start, Steady::now());

  if (request.object_key) {
    result.result_key = ResultKeyFor(*request.object_key);
    json record = DetectResponseJson(result);
    record["Image"] = {{"S3Object", {{"Name", *request.object_key}}}};
    record["NoneConfidence"] = result.none_confidence;
    record["DetectedAt"] = FormatRfc3339(clock_.Now());
    record["MinConfidence"] =
        request.min_confidence ? json(*request.min_confidence) : json("assumed-threshold");
    record["Timing"] = {{"QueueMs", result.timing.queue_ms},
                        {"DecodeMs", result.timing.decode_ms},
                        {"InferenceMs", result.timing.inference_ms},
                        {"TotalMs", result.timing.total_ms}};
    RETURN_IF_ERROR(store_.Put(result.result_key, record.dump(2)).status());
  }
  return result;
}

json DetectResponseJson(const DetectResult& result) {
  json labels = json::array();
  for (const ml::LabelConfidence& l : result.labels) {
    labels.push_back({{"Name", l.name}, {"Confidence", l.confidence}});
  }
  return {{"CustomLabels", labels}, {"ModelVersion", result.model_version}};
}

}  // namespace loupe::detect
