#include "auth/password.h"

#include <sodium.h>

#include <vector>

#include "core/check.h"

namespace loupe::auth {
namespace {

void InitSodium() {
  static const bool kReady = sodium_init() >= 0;
  CHECK(kReady) << "libsodium failed to initialise";
}

}  // namespace

Status ValidatePassword(std::string_view password) {
  if (password.size() < 8) return InvalidArgumentError("password must be at least 8 characters");
  if (password.size() > 1024) return InvalidArgumentError("password must be at most 1024 bytes");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return InternalError("password hashing failed (out of memory)");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  InitSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace loupe::auth
