#pragma once
// The server's secrets key and what it protects: AWS secret access keys are sealed with it
// (XChaCha20-Poly1305 from libsodium, the access key id as associated data, a random nonce per
// seal) before they are stored, because checking a SigV4 signature needs the secret itself.
// The key lives outside the database: $LOUPE_SECRETS_KEY (64 hex digits; every process of a
// cluster must get the same one) or a file `secrets.key` in the data directory, created with
// mode 0600 on first start. Thread-safe (pure functions; file creation is atomic).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace loupe::auth {

inline constexpr size_t kSecretsKeyBytes = 32;

// The 32-byte key from `hex` when given (InvalidArgument unless 64 hex digits), else from
// `file`, which is created with a random key when missing.
Result<std::string> LoadSecretsKey(const std::filesystem::path& file,
                                   const std::optional<std::string>& hex);

// hex(nonce || ciphertext) of `secret`, bound to `label` (the access key id).
std::string Seal(std::string_view key, std::string_view label, std::string_view secret);
// Inverse of Seal; DataLoss when the value was not sealed under `key` for `label`.
Result<std::string> Unseal(std::string_view key, std::string_view label, std::string_view sealed);

// "LKIA" + 16 characters of A-Z2-7 (AWS's access key ids are 20 characters of that shape).
std::string NewAccessKeyId();
// 40 characters of base64 (30 random bytes), the shape of an AWS secret access key.
std::string NewSecretAccessKey();

}  // namespace loupe::auth
