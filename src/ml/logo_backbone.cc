// Adapter: loupe's logo backbone network (logo_net.h, weights assets/backbone/*.safetensors) as
// a Backbone. Preprocessing: keep the aspect, short side and long-side cap from
// LogoBackboneOptions; images of different sizes run one at a time. Every image also gets its
// objectness map as a SaliencyMap.

#include "core/file.h"
#include "core/sha256.h"
#include "ml/backbone.h"
#include "ml/logo_net.h"  // first: libtorch, then #undef CHECK

namespace loupe::ml {
namespace {

class LogoBackbone final : public Backbone {
 public:
  LogoBackbone(std::unique_ptr<LogoNet> net, BackboneInfo info, double attention_temperature)
      : net_(std::move(net)),
        info_(std::move(info)),
        attention_temperature_(attention_temperature) {}

  const BackboneInfo& info() const override { return info_; }

  Result<BackboneOutput> Forward(const std::vector<const Image*>& images,
                                 bool want_feature_map) const override {
    BackboneOutput out;
    out.count = static_cast<int>(images.size());
    out.dim = info_.embedding_dim;
    out.embeddings.reserve(images.size() * static_cast<size_t>(out.dim));
    try {
      c10::InferenceMode guard;
      for (const Image* img : images) {
        if (!img || img->width <= 0 || img->height <= 0) return InvalidArgumentError("empty image");
        auto [w, h] = InputSize(*img, info_.preprocessing);
        torch::Tensor x = torch::empty({1, 3, h, w});
        PreprocessInto(*img, info_.preprocessing, x.data_ptr<float>());
        ASSIGN_OR_RETURN(LogoNetOutput o, net_->Forward(x, attention_temperature_));
        torch::Tensor e = o.embedding.contiguous();
        if (e.size(1) != out.dim) return InternalError("logo backbone: unexpected embedding size");
        out.embeddings.insert(out.embeddings.end(), e.data_ptr<float>(),
                              e.data_ptr<float>() + out.dim);
        torch::Tensor obj = o.objectness.contiguous();
        SaliencyMap& map = out.saliency.emplace_back();
        map.height = static_cast<int>(obj.size(1));
        map.width = static_cast<int>(obj.size(2));
        map.logits.assign(obj.data_ptr<float>(), obj.data_ptr<float>() + obj.numel());
        // Feature maps only for a single image (sizes differ between images).
        if (want_feature_map && images.size() == 1) {
          torch::Tensor c = o.cells.contiguous();
          out.fm_channels = static_cast<int>(c.size(1));
          out.fm_height = static_cast<int>(c.size(2));
          out.fm_width = static_cast<int>(c.size(3));
          out.feature_map.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
        }
      }
    } catch (const std::exception& e) {
      return InternalError(std::string("logo backbone failed: ") + e.what());
    }
    return out;
  }

 private:
  std::unique_ptr<LogoNet> net_;
  BackboneInfo info_;
  double attention_temperature_;
};

}  // namespace

Result<std::unique_ptr<Backbone>> LoadLogoBackbone(const std::filesystem::path& weights,
                                                   std::string id,
                                                   const LogoBackboneOptions& options) {
  if (options.short_side < 32 || options.long_side < options.short_side ||
      !(options.attention_temperature > 0)) {
    return InvalidArgumentError("logo backbone: bad input size or attention temperature");
  }
  ASSIGN_OR_RETURN(std::string weight_bytes, ReadFile(weights));
  ASSIGN_OR_RETURN(std::unique_ptr<LogoNet> net, LogoNet::Load(weights));
  BackboneInfo info;
  info.kind = "builtin";
  info.id = std::move(id);
  info.sha256 = Sha256Hex(weight_bytes);
  info.embedding_dim = net->spec().embedding_dim;
  info.preprocessing.resize = ResizeMode::kKeepAspect;
  info.preprocessing.input_height = options.short_side;
  info.preprocessing.input_width = options.long_side;  // long-side cap
  info.preprocessing.mean = net->spec().mean;
  info.preprocessing.std = net->spec().std;
  return std::unique_ptr<Backbone>(
      new LogoBackbone(std::move(net), std::move(info), options.attention_temperature));
}

}  // namespace loupe::ml
