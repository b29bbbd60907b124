#include "training/gate.h"

#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "ml/dataset.h"
#include "ml/predictor.h"
#include "ml/trainer.h"
#include "training/training_set.h"

namespace loupe::training {
namespace fs = std::filesystem;
namespace {

// The entries of `inner` whose key is in `keys` (keys relative to the dataset root).
class FilteredSource final : public ml::DatasetSource {
 public:
  FilteredSource(std::unique_ptr<ml::DatasetSource> inner, std::set<std::string> keys)
      : inner_(std::move(inner)), keys_(std::move(keys)) {}
  Result<ml::SourceListing> List() const override {
    ASSIGN_OR_RETURN(ml::SourceListing all, inner_->List());
    ml::SourceListing out;
    out.folders = all.folders;
    for (ml::SourceEntry& e : all.entries) {
      if (keys_.count(e.key) > 0) out.entries.push_back(std::move(e));
    }
    return out;
  }
  Result<std::string> Read(std::string_view key) const override { return inner_->Read(key); }
  std::string SourceRef(std::string_view key) const override { return inner_->SourceRef(key); }

 private:
  std::unique_ptr<ml::DatasetSource> inner_;
  std::set<std::string> keys_;
};

// Test-split keys of a manifest, relative to images_labeled_by_folder/.
Result<std::set<std::string>> TestKeys(std::string_view manifest) {
  std::set<std::string> keys;
  std::istringstream in{std::string(manifest)};
  std::string line;
  const std::string marker = std::string("/") + std::string(kLabeledPrefix);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("bad manifest line");
    if (j.value("loupe-split", "") != "test") continue;
    std::string ref = j.value("source-ref", "");
    size_t at = ref.find(marker);
    if (at == std::string::npos) continue;
    keys.insert(ref.substr(at + marker.size()));
  }
  return keys;
}

Result<ml::Evaluation> EvaluateVersion(const models::ModelRegistry& registry,
                                       const models::VersionId& version,
                                       const ml::DatasetSource& source, const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  RETURN_IF_ERROR(registry.Materialize(version, dir));
  ASSIGN_OR_RETURN(std::unique_ptr<ml::Predictor> predictor, ml::Predictor::Load(dir));
  std::vector<std::string> warnings;
  Result<ml::Evaluation> e = ml::EvaluateOn(*predictor, source, 0, &warnings);
  fs::remove_all(dir, ec);
  return e;
}

}  // namespace

Result<GateReport> EvaluateForGate(const models::ModelRegistry& registry,
                                   const store::ObjectStore& store,
                                   const models::VersionId& candidate,
                                   const std::optional<models::VersionId>& champion,
                                   const fs::path& work_dir, double tolerance) {
  ASSIGN_OR_RETURN(std::string manifest,
                   store.Get(models::ArtifactPrefix(candidate) + "manifest.jsonl"));
  ASSIGN_OR_RETURN(std::set<std::string> keys, TestKeys(manifest));
  if (keys.empty()) {
    return FailedPreconditionError("version " + candidate.value() + " has no test images");
  }
  FilteredSource source(ml::MakeObjectStoreSource(store), keys);
  GateReport report;
  report.candidate = candidate.value();
  report.tolerance = tolerance;
  ASSIGN_OR_RETURN(ml::Evaluation mine,
                   EvaluateVersion(registry, candidate, source, work_dir / "gate-candidate"));
  report.candidate_f1 = mine.macro_f1;
  report.candidate_top1 = mine.top1_accuracy;
  report.test_images = static_cast<int>(keys.size());
  if (champion && *champion != candidate) {
    ASSIGN_OR_RETURN(ml::Evaluation theirs,
                     EvaluateVersion(registry, *champion, source, work_dir / "gate-champion"));
    report.champion = champion->value();
    report.champion_f1 = theirs.macro_f1;
    report.champion_ok = report.candidate_f1 >= report.champion_f1 - tolerance;
  }
  return report;
}

}  // namespace loupe::training
