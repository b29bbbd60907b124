// AuthStore's API tokens: random values shown once and stored only as their SHA-256;
// revocable, optionally expiring, with a last-used time.

#include <chrono>
#include <string>

#include "auth/auth_store.h"
#include "auth/auth_tables.h"
#include "auth/password.h"
#include "auth/secrets_key.h"
#include "core/sha256.h"

namespace loupe::auth {

Result<NewToken> AuthStore::InsertToken(db::Transaction& tx, const std::string& name,
                                        const std::string& user, const std::string& token,
                                        std::optional<std::chrono::seconds> lifetime) {
  NewToken out{"tok_" + RandomHex(8), token};
  TimePoint now = clock_.Now();
  std::optional<TimePoint> expires;
  if (lifetime) expires = now + *lifetime;
  ASSIGN_OR_RETURN(
      auto dup, tx.QueryOne("SELECT 1 FROM auth_tokens WHERE token_hash = ?", {Sha256Hex(token)}));
  if (dup) return AlreadyExistsError("that token value is already in use");
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO auth_tokens (id, name, user_name, token_hash, "
              "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
              {out.id, name, user, Sha256Hex(token), ToUnixMillis(now), OptMillis(expires)})
          .status());
  return out;
}

Result<NewToken> AuthStore::CreateToken(const std::string& name, const std::string& user,
                                        std::optional<std::chrono::seconds> lifetime) {
  if (name.empty() || name.size() > 100) {
    return InvalidArgumentError("a token's name must be 1..100 characters");
  }
  if (lifetime && lifetime->count() <= 0) {
    return InvalidArgumentError("a token's lifetime must be positive");
  }
  NewToken created;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    RETURN_IF_ERROR(QueryUser(tx, user).status());
    ASSIGN_OR_RETURN(created, InsertToken(tx, name, user, RandomHex(32), lifetime));
    return Status::Ok();
  }));
  return created;
}

Result<std::vector<TokenInfo>> AuthStore::ListTokens() const {
  std::vector<TokenInfo> tokens;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, name, user_name, created_at, expires_at, "
                                         "revoked_at, last_used_at FROM auth_tokens ORDER BY "
                                         "created_at, id"));
    for (const db::Row& row : rows) {
      tokens.push_back({row.Text(0), row.Text(1), row.Text(2), FromUnixMillis(row.Int(3)),
                        OptTime(row, 4), OptTime(row, 5), OptTime(row, 6)});
    }
    return Status::Ok();
  }));
  return tokens;
}

Status AuthStore::RevokeToken(const std::string& id) {
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Write([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT 1 FROM auth_tokens WHERE id = ?", {id}));
    if (!row) return NotFoundError("no token with id '" + id + "'");
    return tx
        .Exec("UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
              {now, id})
        .status();
  });
}

Result<User> AuthStore::LookupTokenWhere(const std::string& join, const std::string& where,
                                         const db::Value& param, const std::string& extra,
                                         std::string_view what, std::string* extra_value) {
  int64_t now = ToUnixMillis(clock_.Now());
  std::optional<User> user;
  std::string id;
  bool touch = false;
  Status refused = Status::Ok();
  std::string what_s(what);
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) {
    ASSIGN_OR_RETURN(auto row,
                     tx.QueryOne("SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, "
                                 "u.name, u.role, u.teams, u.created_at, u.updated_at" +
                                     (extra.empty() ? std::string() : ", " + extra) +
                                     " FROM auth_tokens t JOIN auth_users u ON u.name = "
                                     "t.user_name " +
                                     join + " WHERE " + where,
                                 {param}));
    if (!row) return Status::Ok();
    id = row->Text(0);
    if (!row->IsNull(2)) {
      refused = UnauthenticatedError(what_s + " revoked");
    } else if (auto expires = row->OptInt(1); expires && *expires <= now) {
      refused = UnauthenticatedError(what_s + " expired");
    }
    auto last_used = row->OptInt(3);
    touch = !last_used || now - *last_used >= kTouchMillis;
    ASSIGN_OR_RETURN(user, UserFromRow(*row, 4));
    if (extra_value != nullptr) *extra_value = row->Text(9);
    return Status::Ok();
  }));
  if (!user) return UnauthenticatedError("unknown " + what_s);
  if (!refused.ok()) return refused;
  if (touch) {
    RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
      return tx.Exec("UPDATE auth_tokens SET last_used_at = ? WHERE id = ?", {now, id}).status();
    }));
  }
  return *user;
}

Result<User> AuthStore::LookupToken(const std::string& token) {
  return LookupTokenWhere("", "t.token_hash = ?", Sha256Hex(token), "", "API token", nullptr);
}

Result<NewAwsKey> AuthStore::CreateAwsKey(const std::string& name, const std::string& user,
                                          std::optional<std::chrono::seconds> lifetime) {
  if (options_.secrets_key.size() != kSecretsKeyBytes) {
    return FailedPreconditionError("this server has no secrets key to seal AWS keys with");
  }
  if (name.empty() || name.size() > 100) {
    return InvalidArgumentError("a token's name must be 1..100 characters");
  }
  if (lifetime && lifetime->count() <= 0) {
    return InvalidArgumentError("a token's lifetime must be positive");
  }
  NewAwsKey key;
  key.access_key_id = NewAccessKeyId();
  key.secret_access_key = NewSecretAccessKey();
  std::string sealed = Seal(options_.secrets_key, key.access_key_id, key.secret_access_key);
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) {
    RETURN_IF_ERROR(QueryUser(tx, user).status());
    ASSIGN_OR_RETURN(NewToken token, InsertToken(tx, name, user, RandomHex(32), lifetime));
    key.token_id = token.id;
    return tx
        .Exec("INSERT INTO auth_aws_keys (access_key_id, token_id, sealed_secret) VALUES (?, ?, ?)",
              {key.access_key_id, token.id, sealed})
        .status();
  }));
  return key;
}

Result<AwsKey> AuthStore::LookupAwsKey(const std::string& access_key_id) {
  if (options_.secrets_key.size() != kSecretsKeyBytes) {
    return FailedPreconditionError("this server has no secrets key to open AWS keys with");
  }
  std::string sealed;
  ASSIGN_OR_RETURN(User user, LookupTokenWhere("JOIN auth_aws_keys k ON k.token_id = t.id",
                                               "k.access_key_id = ?", access_key_id,
                                               "k.sealed_secret", "AWS access key", &sealed));
  ASSIGN_OR_RETURN(std::string secret, Unseal(options_.secrets_key, access_key_id, sealed));
  return AwsKey{std::move(user), std::move(secret)};
}

}  // namespace loupe::auth
