#pragma once
// LogoNet: loupe's embedded logo backbone network ("logo_v1"), the libtorch twin of
// tools/pretrain/model.py (folded_forward). Loads BN-folded weights from a safetensors file
// (assets/backbone/logo_v1.safetensors) whose __metadata__ "arch" describes the layer layout.
//
// Network: stem conv 3x3/2 -> MobileNetV2-style inverted-residual stages (ReLU) to stride 32 ->
// FPN-lite neck (stride-32 features upsampled x2 + 1x1 lateral of the stride-16 features, 3x3
// conv) -> per stride-16 cell: an objectness logit and a D-dim embedding. The image embedding is
// the softmax(objectness)-weighted sum of cell embeddings, L2-normalised.
//
// Input: NCHW float32, RGB in [0,1] normalised by (x - mean) / std (see spec()); any H, W >= 32
// (loupe resizes to short side 320, long side <= 448: ~35 ms per image on one core).
//
// Thread-safety: after Load() the object is immutable. Forward() is const, runs under
// torch::NoGradGuard and c10::InferenceMode and may be called from several threads at once on
// one shared instance. This header exposes libtorch types: include it only from src/ml .cc files.

#include <torch/torch.h>
#undef CHECK  // glog's, from libtorch; loupe's core/check.h defines its own

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace loupe::ml {

struct LogoNetStage {
  int expand = 1;  // inverted-residual expansion factor (1: no expansion conv)
  int channels = 0;
  int repeats = 1;
  int stride = 1;  // stride of the first block of the stage
};

// Hyper-parameters read from the weights file's __metadata__.
struct LogoNetSpec {
  int stem = 0;
  std::vector<LogoNetStage> stages;
  int lateral_stage = 0;  // index of the stage whose output feeds the neck's lateral branch
  int neck = 0;
  int emb_hidden = 0;
  int embedding_dim = 0;
  int stride = 16;  // of the objectness / cell maps
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
};

struct LogoNetOutput {
  torch::Tensor embedding;   // [N, D] float32, L2-normalised rows
  torch::Tensor objectness;  // [N, h, w] logits (sigmoid -> probability of a logo in the cell)
  torch::Tensor cells;       // [N, D, h, w] cell embeddings (not normalised): the feature map
};

class LogoNet final {
 public:
  // Reads and validates a safetensors file. NotFound if missing; DataLoss if the file is
  // truncated or its header is malformed; InvalidArgument if tensors or metadata don't match
  // the architecture.
  static Result<std::unique_ptr<LogoNet>> Load(const std::filesystem::path& path);

  // batch: [N, 3, H, W] float32 on the CPU, normalised as spec() says, H and W >= 32.
  // The image embedding pools the cell embeddings with softmax(objectness / temperature)
  // weights: 1 is what the network was trained with; smaller values look at the
  // highest-objectness cells only. InvalidArgument on a wrongly shaped batch or a temperature
  // <= 0; Internal if libtorch fails.
  Result<LogoNetOutput> Forward(const torch::Tensor& batch, double attention_temperature = 1) const;

  const LogoNetSpec& spec() const { return spec_; }
  // The file's __metadata__ (string values; JSON-encoded where structured).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Total number of weight scalars.
  int64_t parameter_count() const;

 private:
  struct Conv {
    torch::Tensor weight;  // [out, in / groups, k, k]
    torch::Tensor bias;    // [out]
    int stride = 1;
    int groups = 1;
  };
  struct Block {
    bool has_expand = false;
    bool residual = false;
    Conv expand, depthwise, project;
  };

  LogoNet() = default;
  static torch::Tensor Apply(const Conv& c, const torch::Tensor& x, bool relu);

  LogoNetSpec spec_;
  std::map<std::string, std::string> metadata_;
  Conv stem_;
  std::vector<std::vector<Block>> stages_;
  Conv lateral_, top_, fuse_, objectness_, emb1_, emb2_;
};

}  // namespace loupe::ml
