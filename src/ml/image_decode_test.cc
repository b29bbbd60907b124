#include "ml/image_decode.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <vector>

namespace loupe::ml {
namespace {

std::string Encode(int w, int h, const std::string& ext, std::vector<int> params = {}) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, 40);
  }
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf, params));
  return std::string(buf.begin(), buf.end());
}

TEST(ImageDecode, DecodesJpegPngAndWebp) {
  for (const char* ext : {".jpg", ".png", ".webp"}) {
    std::string bytes = Encode(200, 100, ext);
    Result<ImageHeader> h = ProbeImage(bytes);
    ASSERT_TRUE(h.ok()) << ext << " " << h.status();
    EXPECT_EQ(h->width, 200);
    EXPECT_EQ(h->height, 100);
    Result<Image> img = DecodeImage(bytes);
    ASSERT_TRUE(img.ok()) << ext << " " << img.status();
    EXPECT_EQ(img->width, 200);
    EXPECT_EQ(img->height, 100);
    ASSERT_EQ(img->rgb.size(), 200u * 100 * 3);
    // Pixel (x=150, y=20): R = x % 256 (OpenCV wrote BGR = (150, 20, 40)), so RGB = (40,20,150).
    const uint8_t* p = &img->rgb[(20 * 200 + 150) * 3];
    EXPECT_NEAR(p[0], 40, 12) << ext;
    EXPECT_NEAR(p[2], 150, 12) << ext;
  }
  EXPECT_EQ(ProbeImage(Encode(100, 80, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}))->format,
            ImageFormat::kWebp);  // lossless VP8L
}

TEST(ImageDecode, JpegDecodesDctScaledWhenTargetIsSmall) {
  std::string bytes = Encode(800, 600, ".jpg");
  DecodeOptions opt;
  opt.min_short_side = 100;
  Result<Image> img = DecodeImage(bytes, opt);
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->width, 200);  // 1/4: short side 150 >= 100; 1/8 would give 75
  EXPECT_EQ(img->height, 150);
}

TEST(ImageDecode, RejectsZeroBytesAndText) {
  Result<Image> empty = DecodeImage("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  Result<Image> text = DecodeImage("hello, I am a text file named photo.jpg\n");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("not a JPEG, PNG or WebP"), std::string::npos);
}

TEST(ImageDecode, RejectsTruncatedJpeg) {
  std::string bytes = Encode(300, 300, ".jpg");
  Result<Image> cut = DecodeImage(bytes.substr(0, bytes.size() / 2));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(cut.status().message().find("JPEG"), std::string::npos) << cut.status();
  Result<Image> header_only = DecodeImage(bytes.substr(0, 12));
  ASSERT_FALSE(header_only.ok());
  EXPECT_EQ(header_only.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(header_only.status().message().find("truncated JPEG"), std::string::npos);
}

TEST(ImageDecode, RejectsPngDeclaringHugeSizeBeforeDecoding) {
  std::string bytes = Encode(100, 100, ".png");
  const uint32_t huge = 100000;
  for (int off : {16, 20}) {
    bytes[off] = static_cast<char>(huge >> 24);
    bytes[off + 1] = static_cast<char>(huge >> 16);
    bytes[off + 2] = static_cast<char>(huge >> 8);
    bytes[off + 3] = static_cast<char>(huge);
  }
  Result<Image> img = DecodeImage(bytes);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(img.status().message().find("100000x100000"), std::string::npos) << img.status();
}

TEST(ImageDecode, EnforcesSideAspectPixelAndByteLimits) {
  EXPECT_EQ(ProbeImage(Encode(32, 100, ".png")).status().code(), StatusCode::kInvalidArgument);
  Result<ImageHeader> wide = ProbeImage(Encode(2000, 64, ".png"));
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wide.status().message().find("aspect"), std::string::npos);
  ImageLimits small;
  small.max_pixels = 100 * 100;
  Result<ImageHeader> many = ProbeImage(Encode(200, 100, ".png"), small);
  EXPECT_EQ(many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(many.status().message().find("more than the cap of 10000 pixels"), std::string::npos)
      << many.status();
  small.max_bytes = 10;
  EXPECT_EQ(ProbeImage(Encode(200, 100, ".png"), small).status().code(),
            StatusCode::kPayloadTooLarge);
}

TEST(ImageDecode, CorruptBodiesNeverCrash) {
  std::string png = Encode(120, 90, ".png");
  std::string bad_png = png.substr(0, 40) + std::string(200, '\x5a');
  EXPECT_EQ(DecodeImage(bad_png).status().code(), StatusCode::kInvalidArgument);
  std::string webp = Encode(120, 90, ".webp");
  EXPECT_EQ(DecodeImage(webp.substr(0, webp.size() / 2)).status().code(),
            StatusCode::kInvalidArgument);
  // Random byte corruption of a valid JPEG: any outcome but a crash is acceptable.
  std::string jpeg = Encode(160, 120, ".jpg");
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string mutated = jpeg;
    for (int k = 0; k < 8; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng());
    Result<Image> r = DecodeImage(mutated);
    if (r.ok()) {
      EXPECT_EQ(r->rgb.size(), static_cast<size_t>(r->width) * r->height * 3);
    }
  }
}

}  // namespace
}  // namespace loupe::ml
