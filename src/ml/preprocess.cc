// Preprocessing shared by all backbones (OpenCV resize; no libtorch here).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ml/backbone.h"

namespace loupe::ml {

void PreprocessInto(const Image& image, const Preprocessing& p, float* out) {
  cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat resized;
  const bool shrink = image.width >= p.input_width && image.height >= p.input_height;
  cv::resize(src, resized, cv::Size(p.input_width, p.input_height), 0, 0,
             shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int plane = p.input_width * p.input_height;
  for (int c = 0; c < 3; ++c) {
    const float scale = 1.0f / (255.0f * p.std[c]);
    const float shift = p.mean[c] / p.std[c];
    float* dst = out + static_cast<size_t>(c) * plane;
    for (int i = 0; i < plane; ++i) dst[i] = resized.data[i * 3 + c] * scale - shift;
  }
}

}  // namespace loupe::ml
