#pragma once
// Backbone: a pretrained network that turns images into embeddings (and, optionally, a feature
// map for later localisation). The head, calibration and predictor only see this interface;
// libtorch stays inside the implementations' .cc files.
//
// Implementations (see docs/ml.md):
//  - the embedded default, loupe's logo backbone (logo_backbone.cc), weights shipped in
//    assets/backbone/ and produced by tools/pretrain/;
//  - bring-your-own TorchScript: `model.pt` plus `model.json` beside it (torchscript_backbone.cc).
// Thread-safety: Forward() is const and safe to call from several threads at once.

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "ml/image_decode.h"

namespace loupe::ml {

// How an image becomes the network input: resized (kStretch: to input_width x input_height;
// kKeepAspect: by one factor so the short side is input_height and the long side at most
// input_width, as loupe's logo backbone wants), RGB scaled to [0,1], then (x - mean) / std per
// channel, NCHW float.
enum class ResizeMode { kStretch, kKeepAspect };

struct Preprocessing {
  ResizeMode resize = ResizeMode::kStretch;
  int input_width = 224;   // kKeepAspect: the long-side cap
  int input_height = 224;  // kKeepAspect: the short side
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
};

struct BackboneInfo {
  std::string kind;    // "torchscript" (bring your own) or "builtin" (shipped with loupe)
  std::string id;      // "logo_v1", "torchscript:resnet18", ...
  std::string sha256;  // of the weights file; artifacts refuse to load on a mismatch
  int embedding_dim = 0;
  Preprocessing preprocessing;
  // For "torchscript": the .pt file it was loaded from (its .json sits beside it); artifacts
  // copy both. Empty for builtin backbones, which artifacts reference by id and hash.
  std::filesystem::path source;
};

// Where in an image the network sees a logo: one logit per cell of a grid laid over the whole
// image (row-major, height x width; higher = more likely part of a logo).
struct SaliencyMap {
  int width = 0, height = 0;
  std::vector<float> logits;
};

// The map's highest logit; 0 for a null or empty map.
double SaliencyPeak(const SaliencyMap* map);

struct BackboneOutput {
  int count = 0;  // images in the batch
  int dim = 0;
  std::vector<float> embeddings;  // count x dim, row-major, L2-normalised
  // count x channels x height x width; empty unless requested and available.
  std::vector<float> feature_map;
  int fm_channels = 0, fm_height = 0, fm_width = 0;
  // One per image when the network localises logos (loupe's logo backbone), else empty.
  std::vector<SaliencyMap> saliency;
};

class Backbone {
 public:
  virtual ~Backbone() = default;
  virtual const BackboneInfo& info() const = 0;
  // Embeds a batch. InvalidArgument for an empty image; Internal if the network fails.
  virtual Result<BackboneOutput> Forward(const std::vector<const Image*>& images,
                                         bool want_feature_map = false) const = 0;
};

// Loads a TorchScript backbone: `pt_path` (torch.jit.save output) and the JSON beside it
// (same path with extension ".json"):
//   {"input_size": [H, W] or N, "mean": [3], "std": [3],
//    "output": "embedding" | "feature_map" | "tuple"}
// "embedding": forward returns [N, D]; "feature_map": [N, C, H, W], the embedding is its global
// average; "tuple": the first element is the [N, D] embedding and a 4-D element, if any, is the
// feature map. Embeddings are L2-normalised. NotFound / InvalidArgument with the reason.
Result<std::unique_ptr<Backbone>> LoadTorchScriptBackbone(const std::filesystem::path& pt_path);

// How loupe's logo backbone is run: input short side and long-side cap (aspect kept), and the
// temperature of the objectness attention that pools cell embeddings into the image embedding
// (LogoNet::Forward). Builtin ids name fixed settings (builtin_backbones.cc).
struct LogoBackboneOptions {
  int short_side = 320;
  int long_side = 448;
  double attention_temperature = 1;
};

// loupe's logo backbone network (logo_net.h) from its safetensors weights, as builtin `id`.
Result<std::unique_ptr<Backbone>> LoadLogoBackbone(const std::filesystem::path& weights,
                                                   std::string id = "logo_v1",
                                                   const LogoBackboneOptions& options = {});

// Number of threads libtorch uses inside one Forward() (process-wide; default 1).
void SetComputeThreads(int threads);

// The network input size (width, height) for `image`.
std::pair<int, int> InputSize(const Image& image, const Preprocessing& p);
// Image -> network input, written to `out` (3 x height x width floats of InputSize).
void PreprocessInto(const Image& image, const Preprocessing& p, float* out);

}  // namespace loupe::ml
