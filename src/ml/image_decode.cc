#include "ml/image_decode.h"

#include <turbojpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

namespace loupe::ml {
namespace {

uint32_t Be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t Le24(const uint8_t* p) { return Le16(p) | (uint32_t{p[2]} << 16); }
uint32_t Le32(const uint8_t* p) { return Le24(p) | (uint32_t{p[3]} << 24); }

bool IsSofMarker(uint8_t m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Walks the JPEG marker segments up to the first start-of-frame.
Result<ImageHeader> ProbeJpeg(const uint8_t* d, size_t n) {
  size_t pos = 2;
  while (true) {
    if (pos + 4 > n) return InvalidArgumentError("truncated JPEG: no frame header");
    if (d[pos] != 0xFF) return InvalidArgumentError("corrupt JPEG: bad marker before frame header");
    uint8_t marker = d[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      pos += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) {
      return InvalidArgumentError("corrupt JPEG: scan or end before frame header");
    }
    uint32_t len = Be16(d + pos + 2);
    if (len < 2) return InvalidArgumentError("corrupt JPEG: bad segment length");
    if (IsSofMarker(marker)) {
      if (pos + 2 + 8 > n) return InvalidArgumentError("truncated JPEG: frame header cut off");
      if (len < 8) return InvalidArgumentError("corrupt JPEG: short frame header");
      ImageHeader h;
      h.format = ImageFormat::kJpeg;
      h.height = static_cast<int>(Be16(d + pos + 5));
      h.width = static_cast<int>(Be16(d + pos + 7));
      return h;
    }
    pos += 2 + len;
  }
}

Result<ImageHeader> ProbePng(const uint8_t* d, size_t n) {
  // 8-byte signature, then the IHDR chunk: length (13), "IHDR", width, height.
  if (n < 8 + 8 + 13) return InvalidArgumentError("truncated PNG header");
  if (std::memcmp(d + 12, "IHDR", 4) != 0 || Be32(d + 8) != 13) {
    return InvalidArgumentError("corrupt PNG: first chunk is not IHDR");
  }
  ImageHeader h;
  h.format = ImageFormat::kPng;
  uint32_t w = Be32(d + 16);
  uint32_t hh = Be32(d + 20);
  // Clamp absurd 32-bit values into int range; the limits reject them anyway.
  h.width = static_cast<int>(std::min<uint32_t>(w, 1u << 30));
  h.height = static_cast<int>(std::min<uint32_t>(hh, 1u << 30));
  return h;
}

Result<ImageHeader> ProbeWebp(const uint8_t* d, size_t n) {
  if (n < 30) return InvalidArgumentError("truncated WebP header");
  ImageHeader h;
  h.format = ImageFormat::kWebp;
  if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
    if (d[23] != 0x9d || d[24] != 0x01 || d[25] != 0x2a) {
      return InvalidArgumentError("corrupt WebP: bad VP8 start code");
    }
    h.width = static_cast<int>(Le16(d + 26) & 0x3fff);
    h.height = static_cast<int>(Le16(d + 28) & 0x3fff);
  } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
    if (d[20] != 0x2f) return InvalidArgumentError("corrupt WebP: bad VP8L signature");
    uint32_t bits = Le32(d + 21);
    h.width = static_cast<int>((bits & 0x3fff) + 1);
    h.height = static_cast<int>(((bits >> 14) & 0x3fff) + 1);
  } else if (std::memcmp(d + 12, "VP8X", 4) == 0) {
    h.width = static_cast<int>(Le24(d + 24) + 1);
    h.height = static_cast<int>(Le24(d + 27) + 1);
  } else {
    return InvalidArgumentError("corrupt WebP: unknown first chunk");
  }
  return h;
}

Status CheckLimits(const ImageHeader& h, const ImageLimits& limits) {
  std::string dims = std::to_string(h.width) + "x" + std::to_string(h.height);
  if (h.width < limits.min_side || h.height < limits.min_side || h.width > limits.max_side ||
      h.height > limits.max_side) {
    return InvalidArgumentError("image is " + dims + " px; each side must be " +
                                std::to_string(limits.min_side) + ".." +
                                std::to_string(limits.max_side) + " px");
  }
  if (int64_t{h.width} * h.height > limits.max_pixels) {
    return InvalidArgumentError("image is " + dims + " px; more than the cap of " +
                                std::to_string(limits.max_pixels) + " pixels");
  }
  double aspect = static_cast<double>(std::max(h.width, h.height)) / std::min(h.width, h.height);
  if (aspect > limits.max_aspect) {
    return InvalidArgumentError("image is " + dims + " px; aspect ratio above " +
                                std::to_string(static_cast<int>(limits.max_aspect)) + ":1");
  }
  return Status::Ok();
}

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};

// Returns NotFound when turbojpeg can't handle the colour space (e.g. CMYK): fall back.
Result<Image> DecodeJpegTurbo(std::string_view bytes, const ImageHeader& h, int min_short_side) {
  std::unique_ptr<void, TjDeleter> tj(tjInitDecompress());
  if (!tj) return InternalError("tjInitDecompress failed");
  auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  int w = 0, hh = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), src, bytes.size(), &w, &hh, &subsamp, &colorspace) != 0) {
    return InvalidArgumentError(std::string("corrupt JPEG: ") + tjGetErrorStr2(tj.get()));
  }
  if (w != h.width || hh != h.height)
    return InvalidArgumentError("corrupt JPEG: inconsistent size");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) return NotFoundError("cmyk");
  int out_w = w, out_h = hh;
  if (min_short_side > 0) {
    int n = 0;
    tjscalingfactor* factors = tjGetScalingFactors(&n);
    int best_pixels = w * hh;
    for (int i = 0; i < n; ++i) {
      const tjscalingfactor& f = factors[i];
      if (f.num > f.denom) continue;
      int sw = TJSCALED(w, f), sh = TJSCALED(hh, f);
      if (std::min(sw, sh) >= min_short_side && sw * sh < best_pixels) {
        best_pixels = sw * sh;
        out_w = sw;
        out_h = sh;
      }
    }
  }
  Image img;
  img.width = out_w;
  img.height = out_h;
  img.rgb.resize(static_cast<size_t>(out_w) * out_h * 3);
  if (tjDecompress2(tj.get(), src, bytes.size(), img.rgb.data(), out_w, 0, out_h, TJPF_RGB,
                    TJFLAG_FASTDCT) != 0) {
    const bool fatal = tjGetErrorCode(tj.get()) == TJERR_FATAL;
    return InvalidArgumentError(
        std::string(fatal ? "corrupt JPEG: " : "truncated or corrupt JPEG: ") +
        tjGetErrorStr2(tj.get()));
  }
  return img;
}

Result<Image> DecodeWithOpenCv(std::string_view bytes, const ImageHeader& h) {
  try {
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    cv::Mat bgr = cv::imdecode(buf, cv::IMREAD_COLOR);
    if (bgr.empty()) {
      return InvalidArgumentError("truncated or corrupt " + std::string(ImageFormatName(h.format)) +
                                  " image");
    }
    if (bgr.cols != h.width || bgr.rows != h.height) {
      return InvalidArgumentError("corrupt image: decoded size differs from its header");
    }
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    Image img;
    img.width = rgb.cols;
    img.height = rgb.rows;
    img.rgb.assign(rgb.data, rgb.data + rgb.total() * 3);
    return img;
  } catch (const cv::Exception& e) {
    return InvalidArgumentError(std::string("cannot decode image: ") + e.what());
  }
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "unknown";
}

Result<ImageHeader> ProbeImage(std::string_view bytes, const ImageLimits& limits) {
  if (bytes.empty()) return InvalidArgumentError("empty image (0 bytes)");
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) {
    return PayloadTooLargeError("image is " + std::to_string(bytes.size()) +
                                " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  const auto* d = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  static constexpr uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Result<ImageHeader> header = InvalidArgumentError("not a JPEG, PNG or WebP image");
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
    header = ProbeJpeg(d, n);
  } else if (n >= 8 && std::memcmp(d, kPngSig, 8) == 0) {
    header = ProbePng(d, n);
  } else if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    header = ProbeWebp(d, n);
  }
  if (!header.ok()) return header;
  RETURN_IF_ERROR(CheckLimits(*header, limits));
  return header;
}

Result<Image> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  ASSIGN_OR_RETURN(ImageHeader header, ProbeImage(bytes, options.limits));
  if (header.format == ImageFormat::kJpeg) {
    Result<Image> img = DecodeJpegTurbo(bytes, header, options.min_short_side);
    if (img.ok() || img.status().code() != StatusCode::kNotFound) return img;
  }
  return DecodeWithOpenCv(bytes, header);
}

}  // namespace loupe::ml
