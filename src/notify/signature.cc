#include "notify/signature.h"

#include <sodium.h>

#include <array>

namespace loupe::notify {

std::string HmacSha256Hex(std::string_view secret, std::string_view data) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::array<char, crypto_auth_hmacsha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return std::string(hex.data(), crypto_auth_hmacsha256_BYTES * 2);
}

std::string SignWebhook(std::string_view secret, std::string_view timestamp,
                        std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "sha256=" + HmacSha256Hex(secret, signed_text);
}

bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                            std::string_view body, std::string_view signature) {
  std::string expected = SignWebhook(secret, timestamp, body);
  if (signature.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace loupe::notify
