#pragma once
// Image intake for training and detection (DESIGN.md §10): the header of an upload is checked
// before any pixel is decoded, so a decompression bomb, a truncated or a mislabelled file gets
// InvalidArgument (or PayloadTooLarge for oversize bytes) and never crashes the process.
// JPEG is decoded with libturbojpeg (DCT-scaled when the caller needs only a small image), PNG
// and WebP with OpenCV. All functions are pure and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace loupe::ml {

enum class ImageFormat { kJpeg, kPng, kWebp };
// "jpeg", "png", "webp".
std::string_view ImageFormatName(ImageFormat format);

struct ImageLimits {
  int64_t max_bytes = int64_t{15} * 1024 * 1024;
  int min_side = 64;
  int max_side = 4096;
  int64_t max_pixels = 4096LL * 4096;  // lower it to cap memory below max_side²
  double max_aspect = 20.0;            // long side / short side
};

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0;
  int height = 0;
};

// 8-bit RGB, row-major, 3 bytes per pixel, no padding. Value type; thread-compatible.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // size = width * height * 3
};

// Sniffs the format from magic bytes and reads the dimensions from the header alone, then
// applies `limits`. InvalidArgument names the problem ("not a JPEG, PNG or WebP image",
// "truncated PNG header", "image is 100000x100000 px; each side must be 64..4096 px", ...);
// PayloadTooLarge when the byte size exceeds limits.max_bytes.
Result<ImageHeader> ProbeImage(std::string_view bytes, const ImageLimits& limits = {});

struct DecodeOptions {
  ImageLimits limits;
  // When > 0, a JPEG may be decoded at a DCT scale (1/2, 1/4, 1/8) as long as the scaled short
  // side stays >= this many pixels: much faster for large uploads that are resized anyway.
  int min_short_side = 0;
};

// ProbeImage, then decode to RGB. Truncated or corrupt data -> InvalidArgument.
Result<Image> DecodeImage(std::string_view bytes, const DecodeOptions& options = {});

}  // namespace loupe::ml
