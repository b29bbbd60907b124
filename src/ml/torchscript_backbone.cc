// Bring-your-own backbone: a TorchScript file plus a JSON describing its input and output.
#include <torch/script.h>
#include <torch/torch.h>
#undef CHECK  // glog's, from libtorch; loupe's core/check.h defines its own

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file.h"
#include "core/sha256.h"
#include "ml/backbone.h"

namespace loupe::ml {
namespace {

enum class OutputKind { kEmbedding, kFeatureMap, kTuple };

class TorchScriptBackbone final : public Backbone {
 public:
  TorchScriptBackbone(torch::jit::Module module, BackboneInfo info, OutputKind kind)
      : module_(std::move(module)), info_(std::move(info)), kind_(kind) {}

  const BackboneInfo& info() const override { return info_; }

  Result<BackboneOutput> Forward(const std::vector<const Image*>& images,
                                 bool want_feature_map) const override {
    const Preprocessing& p = info_.preprocessing;
    const int64_t n = static_cast<int64_t>(images.size());
    if (n == 0) return BackboneOutput{};
    for (const Image* img : images) {
      if (!img || img->width <= 0 || img->height <= 0) return InvalidArgumentError("empty image");
    }
    try {
      c10::InferenceMode guard;
      torch::Tensor input = torch::empty({n, 3, p.input_height, p.input_width});
      const int64_t per = 3LL * p.input_height * p.input_width;
      for (int64_t i = 0; i < n; ++i)
        PreprocessInto(*images[i], p, input.data_ptr<float>() + i * per);
      // Module::forward is not const but does not mutate the module for inference.
      torch::jit::IValue out = const_cast<torch::jit::Module&>(module_).forward({input});
      torch::Tensor emb, fmap;
      if (kind_ == OutputKind::kTuple) {
        if (!out.isTuple()) return InternalError("TorchScript backbone did not return a tuple");
        const auto& elems = out.toTuple()->elements();
        if (elems.empty()) return InternalError("TorchScript backbone returned an empty tuple");
        emb = elems[0].toTensor();
        for (const auto& e : elems) {
          if (e.isTensor() && e.toTensor().dim() == 4) fmap = e.toTensor();
        }
      } else if (kind_ == OutputKind::kFeatureMap) {
        fmap = out.toTensor();
        if (fmap.dim() != 4) return InternalError("feature_map output is not 4-D");
        emb = fmap.mean({2, 3});
      } else {
        emb = out.toTensor();
      }
      emb = emb.reshape({n, -1}).to(torch::kFloat);
      emb = torch::nn::functional::normalize(emb,
                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
      emb = emb.contiguous();
      BackboneOutput result;
      result.count = static_cast<int>(n);
      result.dim = static_cast<int>(emb.size(1));
      if (info_.embedding_dim > 0 && result.dim != info_.embedding_dim) {
        return InternalError("embedding size changed between calls");
      }
      result.embeddings.assign(emb.data_ptr<float>(), emb.data_ptr<float>() + emb.numel());
      if (want_feature_map && fmap.defined()) {
        fmap = fmap.to(torch::kFloat).contiguous();
        result.fm_channels = static_cast<int>(fmap.size(1));
        result.fm_height = static_cast<int>(fmap.size(2));
        result.fm_width = static_cast<int>(fmap.size(3));
        result.feature_map.assign(fmap.data_ptr<float>(), fmap.data_ptr<float>() + fmap.numel());
      }
      return result;
    } catch (const std::exception& e) {
      return InternalError(std::string("TorchScript backbone failed: ") + e.what());
    }
  }

  void SetDim(int d) { info_.embedding_dim = d; }

 private:
  torch::jit::Module module_;
  BackboneInfo info_;
  OutputKind kind_;
};

}  // namespace

void SetComputeThreads(int threads) { torch::set_num_threads(std::max(1, threads)); }

Result<std::unique_ptr<Backbone>> LoadTorchScriptBackbone(const std::filesystem::path& pt_path) {
  std::filesystem::path json_path = pt_path;
  json_path.replace_extension(".json");
  ASSIGN_OR_RETURN(std::string weights, ReadFile(pt_path));
  ASSIGN_OR_RETURN(std::string json_text, ReadFile(json_path));
  BackboneInfo info;
  info.kind = "torchscript";
  info.id = "torchscript:" + pt_path.stem().string();
  info.source = std::filesystem::absolute(pt_path);
  info.sha256 = Sha256Hex(weights);
  OutputKind kind = OutputKind::kEmbedding;
  try {
    nlohmann::json j = nlohmann::json::parse(json_text);
    const nlohmann::json& size = j.at("input_size");
    if (size.is_array()) {
      info.preprocessing.input_height = size.at(0).get<int>();
      info.preprocessing.input_width = size.at(1).get<int>();
    } else {
      info.preprocessing.input_height = info.preprocessing.input_width = size.get<int>();
    }
    if (j.contains("mean")) info.preprocessing.mean = j["mean"].get<std::array<float, 3>>();
    if (j.contains("std")) info.preprocessing.std = j["std"].get<std::array<float, 3>>();
    std::string out = j.value("output", "embedding");
    if (out == "feature_map") {
      kind = OutputKind::kFeatureMap;
    } else if (out == "tuple") {
      kind = OutputKind::kTuple;
    } else if (out != "embedding") {
      return InvalidArgumentError(json_path.string() + ": unknown output kind '" + out + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(json_path.string() + ": " + e.what());
  }
  const Preprocessing& p = info.preprocessing;
  if (p.input_width < 16 || p.input_height < 16 || p.input_width > 2048 || p.input_height > 2048) {
    return InvalidArgumentError(json_path.string() + ": input_size must be 16..2048");
  }
  for (float s : p.std) {
    if (!(s > 0)) return InvalidArgumentError(json_path.string() + ": std must be positive");
  }
  std::unique_ptr<TorchScriptBackbone> backbone;
  try {
    std::istringstream in(weights);
    torch::jit::Module module = torch::jit::load(in, torch::kCPU);
    module.eval();
    backbone = std::make_unique<TorchScriptBackbone>(std::move(module), info, kind);
  } catch (const std::exception& e) {
    return InvalidArgumentError(pt_path.string() +
                                " is not a loadable TorchScript file: " + e.what());
  }
  // Probe once to learn the embedding size.
  Image probe;
  probe.width = p.input_width;
  probe.height = p.input_height;
  probe.rgb.assign(static_cast<size_t>(p.input_width) * p.input_height * 3, 128);
  backbone->SetDim(0);
  Result<BackboneOutput> out = backbone->Forward({&probe}, false);
  if (!out.ok()) {
    return InvalidArgumentError(pt_path.string() +
                                " does not run on its declared input: " + out.status().message());
  }
  if (out->dim < 1) return InvalidArgumentError(pt_path.string() + " returned an empty embedding");
  backbone->SetDim(out->dim);
  return std::unique_ptr<Backbone>(std::move(backbone));
}

}  // namespace loupe::ml
