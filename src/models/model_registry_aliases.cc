// ModelRegistry, aliases: endpoint aliases (`production`) pointing at one RUNNING version or
// none, with their history (model_registry.h).
#include "models/model_registry.h"

namespace loupe::models {
namespace {

db::Value OptText(const std::optional<VersionId>& v) {
  if (!v) return nullptr;
  return v->value();
}

}  // namespace

Result<std::optional<VersionId>> ModelRegistry::Alias(std::string_view alias) const {
  std::optional<VersionId> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        tx.QueryOne("SELECT version FROM model_aliases WHERE alias = ?", {std::string(alias)}));
    if (row && !row->IsNull(0)) out = VersionId(row->Text(0));
    return Status::Ok();
  }));
  return out;
}

Status ModelRegistry::SetAlias(db::Transaction& tx, std::string_view alias,
                               const std::optional<VersionId>& version, std::string_view reason,
                               std::string_view actor) {
  if (version) {
    ASSIGN_OR_RETURN(VersionInfo v, Get(tx, *version));
    if (v.status != VersionStatus::kRunning) {
      return FailedPreconditionError("alias '" + std::string(alias) +
                                     "' can only point at a "
                                     "RUNNING version; " +
                                     version->value() + " is " +
                                     std::string(VersionStatusName(v.status)));
    }
  }
  ASSIGN_OR_RETURN(
      std::optional<db::Row> cur,
      tx.QueryOne("SELECT version FROM model_aliases WHERE alias = ?", {std::string(alias)}));
  std::optional<VersionId> old;
  if (cur && !cur->IsNull(0)) old = VersionId(cur->Text(0));
  if (old == version) return Status::Ok();
  int64_t now = ToUnixMillis(clock_.Now());
  if (cur) {
    RETURN_IF_ERROR(tx.Exec("UPDATE model_aliases SET version = ?, updated_at = ?, "
                            "row_version = row_version + 1 WHERE alias = ?",
                            {OptText(version), now, std::string(alias)})
                        .status());
  } else {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO model_aliases (alias, version, updated_at, row_version) "
                            "VALUES (?, ?, ?, 1)",
                            {std::string(alias), OptText(version), now})
                        .status());
  }
  return tx
      .Exec(
          "INSERT INTO model_alias_history (alias, old_version, new_version, at, reason, actor) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {std::string(alias), OptText(old), OptText(version), now, std::string(reason),
           std::string(actor)})
      .status();
}

Result<std::vector<AliasRecord>> ModelRegistry::AliasHistory(std::string_view alias,
                                                             int limit) const {
  std::vector<AliasRecord> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT old_version, new_version, at, reason, actor FROM "
                              "model_alias_history WHERE alias = ? ORDER BY id DESC LIMIT ?",
                              {std::string(alias), static_cast<int64_t>(limit)}));
    for (const db::Row& r : rows) {
      AliasRecord a;
      a.alias = alias;
      if (!r.IsNull(0)) a.old_version = VersionId(r.Text(0));
      if (!r.IsNull(1)) a.new_version = VersionId(r.Text(1));
      a.at = FromUnixMillis(r.Int(2));
      a.reason = r.Text(3);
      a.actor = r.Text(4);
      out.push_back(std::move(a));
    }
    return Status::Ok();
  }));
  return out;
}
}  // namespace loupe::models
