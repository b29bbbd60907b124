#include "core/random.h"

#include <sodium.h>

#include <vector>

#include "core/check.h"

namespace loupe {

std::string RandomHex(size_t bytes) {
  CHECK(sodium_init() >= 0) << "libsodium failed to initialise";
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace loupe
