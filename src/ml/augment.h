#pragma once
// Training-time augmentation of decoded images: random crop (keeps 80-100 % of each side, so a
// small logo near an edge usually survives), colour jitter (brightness, contrast, saturation),
// occasional greyscale, optional horizontal flip (off by default: logos carry text).
// Deterministic for a given generator state. Thread-compatible.

#include <random>

#include "ml/image_decode.h"

namespace loupe::ml {

struct AugmentOptions {
  double min_crop_side = 0.8;
  double jitter = 0.25;  // brightness / contrast / saturation factor range 1 ± jitter
  double greyscale_probability = 0.1;
  bool horizontal_flip = false;
};

Image Augment(const Image& image, std::mt19937_64& rng, const AugmentOptions& options = {});

}  // namespace loupe::ml
