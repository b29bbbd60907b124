#include "store/object_store.h"

#include <string>

namespace loupe::store {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr std::string_view kReservedSegmentPrefix = ".loupe";

// Length of the UTF-8 sequence starting at `s[i]`, or 0 if it is malformed (overlong forms,
// surrogates and code points above U+10FFFF are malformed). Sets `code_point`.
size_t DecodeUtf8(std::string_view s, size_t i, char32_t& code_point) {
  auto byte = [&](size_t j) { return static_cast<unsigned char>(s[j]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    code_point = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    code_point = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    code_point = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t j = 1; j < len; ++j) {
    if ((byte(i + j) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + j) & 0x3F);
  }
  if (code_point < min || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return len;
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("object key is empty");
  if (key.size() > kMaxKeyBytes) {
    return InvalidArgumentError("object key is longer than " + std::to_string(kMaxKeyBytes) +
                                " bytes");
  }
  for (size_t i = 0; i < key.size();) {
    char32_t c = 0;
    size_t len = DecodeUtf8(key, i, c);
    if (len == 0) return InvalidArgumentError("object key is not valid UTF-8");
    if (IsControl(c)) return InvalidArgumentError("object key contains a control character");
    if (c == '\\') return InvalidArgumentError("object key contains a backslash");
    i += len;
  }
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty()) {
      return InvalidArgumentError(start == 0 ? "object key starts with '/'"
                                             : "object key has an empty segment");
    }
    if (segment == "." || segment == "..") {
      return InvalidArgumentError("object key has a '.' or '..' segment");
    }
    if (segment.starts_with(kReservedSegmentPrefix)) {
      return InvalidArgumentError("object key segment starts with the reserved '.loupe'");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace loupe::store
