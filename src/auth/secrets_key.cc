#include "auth/secrets_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/encoding.h"
#include "core/file.h"

namespace loupe::auth {
namespace {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

}  // namespace

Result<std::string> LoadSecretsKey(const std::filesystem::path& file,
                                   const std::optional<std::string>& hex) {
  if (hex) {
    if (hex->size() != kSecretsKeyBytes * 2) {
      return InvalidArgumentError("LOUPE_SECRETS_KEY must be 64 hex digits (32 bytes)");
    }
    return HexDecode(*hex, "LOUPE_SECRETS_KEY");
  }
  // Create the file once, exclusively, readable by its owner only; a concurrent start that
  // loses the race reads the winner's key.
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string text = HexEncode(RandomBytes(kSecretsKeyBytes)) + "\n";
    bool ok =
        write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
    close(fd);
    if (!ok) return UnavailableError("cannot write " + file.string());
  } else if (errno != EEXIST) {
    return UnavailableError("cannot create " + file.string() + ": " + std::strerror(errno));
  }
  // A process that lost the race to create the file may read it before the winner wrote it:
  // give the winner a moment.
  std::string text;
  for (int attempt = 0; attempt < 50; ++attempt) {
    ASSIGN_OR_RETURN(text, ReadFile(file));
    if (text.size() >= kSecretsKeyBytes * 2) break;
    usleep(20000);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() != kSecretsKeyBytes * 2) {
    return DataLossError(file.string() + " does not hold a 32-byte hex key");
  }
  return HexDecode(text, file.string());
}

std::string Seal(std::string_view key, std::string_view label, std::string_view secret) {
  std::string nonce = RandomBytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  std::string cipher(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(cipher.data()), &len,
      reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
      reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()),
      reinterpret_cast<const unsigned char*>(key.data()));
  cipher.resize(len);
  return HexEncode(nonce + cipher);
}

Result<std::string> Unseal(std::string_view key, std::string_view label, std::string_view sealed) {
  ASSIGN_OR_RETURN(std::string bytes, HexDecode(sealed, "a sealed secret"));
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (bytes.size() < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return DataLossError("a sealed secret is too short");
  }
  std::string plain(bytes.size() - kNonce, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(bytes.data() + kNonce), bytes.size() - kNonce,
          reinterpret_cast<const unsigned char*>(label.data()), label.size(),
          reinterpret_cast<const unsigned char*>(bytes.data()),
          reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return DataLossError(
        "a stored AWS secret does not open with this server's secrets key (was "
        "LOUPE_SECRETS_KEY or secrets.key changed?)");
  }
  plain.resize(len);
  return plain;
}

std::string NewAccessKeyId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out = "LKIA";
  for (int i = 0; i < 16; ++i) out += kAlphabet[randombytes_uniform(32)];
  return out;
}

std::string NewSecretAccessKey() {
  std::string bytes = RandomBytes(30);
  std::string out(sodium_base64_ENCODED_LEN(30, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace loupe::auth
