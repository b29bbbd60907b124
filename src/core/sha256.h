#pragma once
// SHA-256 content hashes (libsodium), hex-encoded. Used by the object store (content hashes),
// the ML split (by content hash) and auth. Thread-safe: pure functions and a value-type hasher.

#include <sodium.h>

#include <string>
#include <string_view>

namespace loupe {

// Incremental hasher for streaming large objects.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  // Lower-case hex digest (64 chars). Call once.
  std::string HexDigest();

 private:
  crypto_hash_sha256_state state_;
};

std::string Sha256Hex(std::string_view bytes);

}  // namespace loupe
