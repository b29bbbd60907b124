#include "ml/artifact.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file.h"

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;

Status WriteFileAtomic(const fs::path& path, std::string_view bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return UnavailableError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return UnavailableError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::vector<double> VoteEvidence(const std::vector<int>& votes) {
  std::vector<double> e(votes.size());
  for (size_t c = 0; c < votes.size(); ++c) e[c] = std::log1p(votes[c]);
  return e;
}

Status SaveArtifact(const ModelArtifact& a, std::string_view manifest, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
  const Preprocessing& p = a.backbone.preprocessing;
  nlohmann::ordered_json j;
  j["format"] = "loupe-model";
  j["format_version"] = kArtifactFormatVersion;
  j["created"] = a.created;
  j["backbone"] = {{"kind", a.backbone.kind},
                   {"id", a.backbone.id},
                   {"sha256", a.backbone.sha256},
                   {"embedding_dim", a.backbone.embedding_dim},
                   {"file", a.backbone.kind == "torchscript" ? "backbone.pt" : ""},
                   {"preprocessing",
                    {{"resize", p.resize == ResizeMode::kKeepAspect ? "keep_aspect" : "stretch"},
                     {"input_width", p.input_width},
                     {"input_height", p.input_height},
                     {"mean", p.mean},
                     {"std", p.std}}}};
  j["labels"] = a.labels;
  j["none_class"] = a.none_class;
  j["head"] = {{"type", a.head_type},
               {"num_classes", a.head.num_classes},
               {"dim", a.head.dim},
               {"weights", a.head.weights},
               {"bias", a.head.bias}};
  j["calibration"] = {{"temperature", a.calibration.temperature},
                      {"has_none_logit", a.calibration.has_none_logit},
                      {"none_logit", a.calibration.none_logit},
                      {"evidence_weight", a.calibration.evidence_weight},
                      {"saliency_weight", a.calibration.saliency_weight}};
  j["keypoints"] = {{"file", a.keypoints ? "keypoints.bin" : ""}};
  j["metrics"] = {{"top1_accuracy", a.evaluation.top1_accuracy},
                  {"macro_f1", a.evaluation.macro_f1},
                  {"ece", a.evaluation.ece}};
  j["manifest"] = "manifest.jsonl";
  j["evaluation"] = "evaluation.json";
  j["training"] = {{"seed", a.seed},
                   {"train_images", a.train_images},
                   {"test_images", a.test_images},
                   {"seconds", a.training_seconds},
                   {"cv_top1", a.cv_top1}};
  if (a.backbone.kind == "torchscript") {
    fs::path json_src = a.backbone.source;
    json_src.replace_extension(".json");
    ASSIGN_OR_RETURN(std::string pt, ReadFile(a.backbone.source));
    ASSIGN_OR_RETURN(std::string pj, ReadFile(json_src));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "backbone.pt", pt));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "backbone.json", pj));
  }
  if (a.keypoints)
    RETURN_IF_ERROR(WriteFileAtomic(dir / "keypoints.bin", a.keypoints->Serialize()));
  nlohmann::json eval = a.evaluation;
  RETURN_IF_ERROR(WriteFileAtomic(dir / "manifest.jsonl", manifest));
  RETURN_IF_ERROR(WriteFileAtomic(dir / "evaluation.json", eval.dump(2)));
  // model.json last: its presence marks a complete artifact.
  return WriteFileAtomic(dir / "model.json", j.dump(1));
}

Result<ModelArtifact> ReadArtifact(const fs::path& dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(dir / "model.json"));
  ModelArtifact a;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format") != "loupe-model") return InvalidArgumentError("not a loupe model");
    int version = j.at("format_version").get<int>();
    if (version != kArtifactFormatVersion) {
      return FailedPreconditionError("model format version " + std::to_string(version) +
                                     " is not supported (this loupe reads version " +
                                     std::to_string(kArtifactFormatVersion) + ")");
    }
    a.created = j.at("created").get<std::string>();
    const nlohmann::json& b = j.at("backbone");
    a.backbone.kind = b.at("kind").get<std::string>();
    a.backbone.id = b.at("id").get<std::string>();
    a.backbone.sha256 = b.at("sha256").get<std::string>();
    a.backbone.embedding_dim = b.at("embedding_dim").get<int>();
    const nlohmann::json& p = b.at("preprocessing");
    const std::string resize = p.at("resize").get<std::string>();
    if (resize != "stretch" && resize != "keep_aspect") {
      return InvalidArgumentError("unknown resize mode '" + resize + "'");
    }
    a.backbone.preprocessing.resize =
        resize == "keep_aspect" ? ResizeMode::kKeepAspect : ResizeMode::kStretch;
    a.backbone.preprocessing.input_width = p.at("input_width").get<int>();
    a.backbone.preprocessing.input_height = p.at("input_height").get<int>();
    a.backbone.preprocessing.mean = p.at("mean").get<std::array<float, 3>>();
    a.backbone.preprocessing.std = p.at("std").get<std::array<float, 3>>();
    if (a.backbone.kind == "torchscript") a.backbone.source = dir / "backbone.pt";
    a.labels = j.at("labels").get<std::vector<std::string>>();
    a.none_class = j.at("none_class").get<int>();
    const nlohmann::json& h = j.at("head");
    a.head_type = h.at("type").get<std::string>();
    a.head.num_classes = h.at("num_classes").get<int>();
    a.head.dim = h.at("dim").get<int>();
    a.head.weights = h.at("weights").get<std::vector<float>>();
    a.head.bias = h.at("bias").get<std::vector<float>>();
    const nlohmann::json& c = j.at("calibration");
    a.calibration.temperature = c.at("temperature").get<double>();
    a.calibration.has_none_logit = c.at("has_none_logit").get<bool>();
    a.calibration.none_logit = c.at("none_logit").get<double>();
    a.calibration.evidence_weight = c.at("evidence_weight").get<double>();
    a.calibration.saliency_weight = c.value("saliency_weight", 0.0);  // absent in older models
    const nlohmann::json& kp = j.at("keypoints");
    if (!kp.at("file").get<std::string>().empty()) {
      ASSIGN_OR_RETURN(std::string bin, ReadFile(dir / "keypoints.bin"));
      ASSIGN_OR_RETURN(std::unique_ptr<KeypointVoter> voter, KeypointVoter::Deserialize(bin));
      if (voter->num_classes() != static_cast<int>(j.at("labels").size())) {
        return InvalidArgumentError("keypoints.bin does not match the labels");
      }
      a.keypoints = std::move(voter);
    }
    const nlohmann::json& t = j.at("training");
    a.seed = t.at("seed").get<uint64_t>();
    a.train_images = t.at("train_images").get<int>();
    a.test_images = t.at("test_images").get<int>();
    a.training_seconds = t.at("seconds").get<double>();
    a.cv_top1 = t.value("cv_top1", 0.0);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError((dir / "model.json").string() + ": " + e.what());
  }
  const int k = static_cast<int>(a.labels.size());
  const int expected_classes = k + (a.none_class >= 0 ? 1 : 0);
  if (k < 2 || a.head.num_classes != expected_classes || (a.none_class >= 0 && a.none_class != k) ||
      a.head.dim != a.backbone.embedding_dim ||
      a.head.weights.size() != static_cast<size_t>(a.head.num_classes) * a.head.dim ||
      a.head.bias.size() != static_cast<size_t>(a.head.num_classes) ||
      !(a.calibration.temperature > 0)) {
    return InvalidArgumentError((dir / "model.json").string() + ": inconsistent model shapes");
  }
  ASSIGN_OR_RETURN(std::string eval_text, ReadFile(dir / "evaluation.json"));
  try {
    a.evaluation = nlohmann::json::parse(eval_text).get<Evaluation>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError((dir / "evaluation.json").string() + ": " + e.what());
  }
  return a;
}

Result<std::unique_ptr<Backbone>> LoadArtifactBackbone(const ModelArtifact& a,
                                                       const fs::path& dir) {
  std::unique_ptr<Backbone> backbone;
  if (a.backbone.kind == "torchscript") {
    ASSIGN_OR_RETURN(backbone, LoadTorchScriptBackbone(dir / "backbone.pt"));
  } else if (a.backbone.kind == "builtin") {
    ASSIGN_OR_RETURN(backbone, LoadBuiltinBackbone(a.backbone.id));
  } else {
    return FailedPreconditionError("unknown backbone kind '" + a.backbone.kind + "'");
  }
  const BackboneInfo& got = backbone->info();
  if (got.sha256 != a.backbone.sha256) {
    return FailedPreconditionError("backbone '" + a.backbone.id + "' has hash " + got.sha256 +
                                   " but the model was trained on " + a.backbone.sha256);
  }
  if (got.embedding_dim != a.head.dim) {
    return FailedPreconditionError("backbone embedding size differs from the model's head");
  }
  return backbone;
}

}  // namespace loupe::ml
