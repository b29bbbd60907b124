#include "ml/augment.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace loupe::ml {

Image Augment(const Image& image, std::mt19937_64& rng, const AugmentOptions& o) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  const int cw = std::max(
      1, static_cast<int>(image.width * (o.min_crop_side + (1 - o.min_crop_side) * u(rng))));
  const int ch = std::max(
      1, static_cast<int>(image.height * (o.min_crop_side + (1 - o.min_crop_side) * u(rng))));
  const int x0 = static_cast<int>((image.width - cw) * u(rng));
  const int y0 = static_cast<int>((image.height - ch) * u(rng));
  cv::Mat out;
  src(cv::Rect(x0, y0, cw, ch)).convertTo(out, CV_32FC3);
  if (o.horizontal_flip && u(rng) < 0.5) cv::flip(out, out, 1);
  const double brightness = 1 + o.jitter * (2 * u(rng) - 1);
  const double contrast = 1 + o.jitter * (2 * u(rng) - 1);
  const double saturation =
      u(rng) < o.greyscale_probability ? 0.0 : 1 + o.jitter * (2 * u(rng) - 1);
  cv::Mat grey;
  cv::cvtColor(out, grey, cv::COLOR_RGB2GRAY);
  cv::Mat grey3;
  cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
  cv::addWeighted(out, saturation, grey3, 1 - saturation, 0, out);  // saturation around grey
  const double mean = cv::mean(grey)[0];
  cv::Mat u8;
  // contrast around the mean, then brightness; convertTo saturates to 0..255.
  out.convertTo(u8, CV_8UC3, contrast * brightness, mean * (1 - contrast) * brightness);
  Image result;
  result.width = u8.cols;
  result.height = u8.rows;
  result.rgb.assign(u8.data, u8.data + u8.total() * 3);
  return result;
}

}  // namespace loupe::ml
