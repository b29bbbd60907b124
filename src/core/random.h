#pragma once
// RandomHex: `bytes` bytes from libsodium's CSPRNG, hex-encoded (2 * bytes characters). For
// tokens, session ids and process identities. Thread-safe.

#include <cstddef>
#include <string>

namespace loupe {

std::string RandomHex(size_t bytes);

}  // namespace loupe
