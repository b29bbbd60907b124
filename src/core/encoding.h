#pragma once
// Byte encodings every module shares: lower-case hex (libsodium) and URI percent-decoding.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "core/result.h"

namespace loupe {

// Lower-case hex of `bytes` (2 characters a byte).
std::string HexEncode(std::string_view bytes);
// Inverse of HexEncode (either case); InvalidArgument naming `what` unless whole hex pairs.
Result<std::string> HexDecode(std::string_view hex, std::string_view what = "value");
// %XX escapes decoded, nothing else ('+' stays '+'); InvalidArgument on a cut or non-hex escape.
Result<std::string> PercentDecode(std::string_view s);

}  // namespace loupe
