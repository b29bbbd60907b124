// Preprocessing shared by all backbones (OpenCV resize; no libtorch here).
#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ml/backbone.h"

namespace loupe::ml {

double SaliencyPeak(const SaliencyMap* map) {
  if (!map || map->logits.empty()) return 0;
  return *std::max_element(map->logits.begin(), map->logits.end());
}

std::pair<int, int> InputSize(const Image& image, const Preprocessing& p) {
  if (p.resize == ResizeMode::kStretch) return {p.input_width, p.input_height};
  const double s =
      std::min(static_cast<double>(p.input_height) / std::min(image.width, image.height),
               static_cast<double>(p.input_width) / std::max(image.width, image.height));
  return {std::max(32, static_cast<int>(std::lround(image.width * s))),
          std::max(32, static_cast<int>(std::lround(image.height * s)))};
}

void PreprocessInto(const Image& image, const Preprocessing& p, float* out) {
  cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat resized;
  auto [w, h] = InputSize(image, p);
  const bool shrink = image.width >= w && image.height >= h;
  cv::resize(src, resized, cv::Size(w, h), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int plane = w * h;
  for (int c = 0; c < 3; ++c) {
    const float scale = 1.0f / (255.0f * p.std[c]);
    const float shift = p.mean[c] / p.std[c];
    float* dst = out + static_cast<size_t>(c) * plane;
    for (int i = 0; i < plane; ++i) dst[i] = resized.data[i * 3 + c] * scale - shift;
  }
}

}  // namespace loupe::ml
