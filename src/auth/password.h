#pragma once
// Password hashing with argon2id (libsodium crypto_pwhash_str, "interactive" limits: about
// 64 MiB and a fraction of a second per hash, which is what slows down offline guessing), and
// random secrets for sessions and tokens. Thread-safe: pure functions.

#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"

namespace loupe::auth {

// Password rules: 8..1024 bytes. InvalidArgument with the reason otherwise.
Status ValidatePassword(std::string_view password);
// An encoded argon2id hash (salt and parameters included). Internal if libsodium fails (out
// of memory).
Result<std::string> HashPassword(std::string_view password);
// Whether `password` matches `hash`; false for a malformed hash.
bool VerifyPassword(const std::string& hash, std::string_view password);
// Compares two strings in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace loupe::auth
