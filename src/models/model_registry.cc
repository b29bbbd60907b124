// ModelRegistry, versions: the schema, creating a version, lifecycle transitions with their
// history rows, and reads (model_registry.h). Artifacts in model_registry_artifacts.cc, aliases
// in model_registry_aliases.cc.
#include "models/model_registry.h"

#include <cctype>

namespace loupe::models {
namespace {

using nlohmann::json;

constexpr std::string_view kModule = "models";

const std::vector<db::Migration>& Migrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "model versions, transitions and aliases",
       R"SQL(
CREATE TABLE model_versions (
  version TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  row_version INTEGER NOT NULL,
  artifact_prefix TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE model_version_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL REFERENCES model_versions(version),
  from_status TEXT,
  to_status TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT ''
);
CREATE INDEX model_version_transitions_by_version ON model_version_transitions(version, id);
CREATE TABLE model_aliases (
  alias TEXT PRIMARY KEY,
  version TEXT REFERENCES model_versions(version),
  updated_at INTEGER NOT NULL,
  row_version INTEGER NOT NULL
);
CREATE TABLE model_alias_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alias TEXT NOT NULL,
  old_version TEXT,
  new_version TEXT,
  at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT ''
);
)SQL"},
  };
  return kMigrations;
}

constexpr std::string_view kSelect =
    "SELECT version, seq, status, status_message, created_at, updated_at, row_version, "
    "artifact_prefix, summary FROM model_versions";

Result<VersionInfo> FromRow(const db::Row& r) {
  VersionInfo v;
  v.version = VersionId(r.Text(0));
  v.seq = r.Int(1);
  ASSIGN_OR_RETURN(v.status, ParseVersionStatus(r.Text(2)));
  v.status_message = r.Text(3);
  v.created_at = FromUnixMillis(r.Int(4));
  v.updated_at = FromUnixMillis(r.Int(5));
  v.row_version = r.Int(6);
  v.artifact_prefix = r.Text(7);
  v.summary = json::parse(r.Text(8), nullptr, false);
  if (v.summary.is_discarded()) v.summary = json::object();
  return v;
}

}  // namespace

Status ValidateVersionName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      ok = false;
    }
  }
  if (ok) return Status::Ok();
  return InvalidArgumentError("version name '" + std::string(name) +
                              "' must be 1..64 of A-Z a-z 0-9 . _ - starting with a letter or "
                              "digit");
}

std::string ArtifactPrefix(const VersionId& version) { return "models/" + version.value() + "/"; }

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(db::Database& db, const Clock& clock,
                                                           store::ObjectStore& store) {
  RETURN_IF_ERROR(db.Migrate(kModule, Migrations()));
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(db, clock, store));
}

Result<VersionInfo> ModelRegistry::Insert(db::Transaction& tx, std::string_view name,
                                          VersionStatus status, const json& summary,
                                          std::string_view reason, std::string_view actor) {
  ASSIGN_OR_RETURN(std::optional<db::Row> max,
                   tx.QueryOne("SELECT COALESCE(MAX(seq), 0) FROM model_versions"));
  int64_t seq = max->Int(0) + 1;
  std::string version(name);
  if (version.empty()) {
    // The next free "v<N>" (a user may have taken one by name).
    for (int64_t n = seq;; ++n) {
      version = "v" + std::to_string(n);
      ASSIGN_OR_RETURN(std::optional<db::Row> taken,
                       tx.QueryOne("SELECT 1 FROM model_versions WHERE version = ?", {version}));
      if (!taken) break;
    }
  }
  RETURN_IF_ERROR(ValidateVersionName(version));
  ASSIGN_OR_RETURN(std::optional<db::Row> exists,
                   tx.QueryOne("SELECT 1 FROM model_versions WHERE version = ?", {version}));
  if (exists) return AlreadyExistsError("model version '" + version + "' already exists");
  int64_t now = ToUnixMillis(clock_.Now());
  VersionId id(version);
  RETURN_IF_ERROR(tx.Exec("INSERT INTO model_versions (version, seq, status, status_message, "
                          "created_at, updated_at, row_version, artifact_prefix, summary) "
                          "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                          {version, seq, std::string(VersionStatusName(status)),
                           std::string(reason), now, now, ArtifactPrefix(id), summary.dump()})
                      .status());
  RETURN_IF_ERROR(tx.Exec("INSERT INTO model_version_transitions (version, from_status, "
                          "to_status, at, reason, actor) VALUES (?, NULL, ?, ?, ?, ?)",
                          {version, std::string(VersionStatusName(status)), now,
                           std::string(reason), std::string(actor)})
                      .status());
  return Get(tx, id);
}

Result<VersionInfo> ModelRegistry::CreateTraining(std::string_view name, std::string_view actor) {
  std::optional<VersionInfo> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(
        out, Insert(tx, name, VersionStatus::kTraining, json::object(), "training started", actor));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<VersionInfo> ModelRegistry::Transition(const VersionId& version, VersionStatus to,
                                              std::string_view reason, std::string_view actor,
                                              std::optional<int64_t> expected_row_version) {
  std::optional<VersionInfo> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, Transition(tx, version, to, reason, actor, expected_row_version));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<VersionInfo> ModelRegistry::Transition(db::Transaction& tx, const VersionId& version,
                                              VersionStatus to, std::string_view reason,
                                              std::string_view actor,
                                              std::optional<int64_t> expected_row_version) {
  ASSIGN_OR_RETURN(VersionInfo cur, Get(tx, version));
  if (expected_row_version && *expected_row_version != cur.row_version) {
    return AbortedError("model version '" + version.value() + "' changed concurrently");
  }
  RETURN_IF_ERROR(CheckTransition(cur.status, to).WithContext("model version " + version.value()));
  int64_t now = ToUnixMillis(clock_.Now());
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Exec("UPDATE model_versions SET status = ?, status_message = ?, "
                           "updated_at = ?, row_version = row_version + 1 "
                           "WHERE version = ? AND row_version = ?",
                           {std::string(VersionStatusName(to)), std::string(reason), now,
                            version.value(), cur.row_version}));
  if (changed != 1) {
    return AbortedError("model version '" + version.value() + "' changed concurrently");
  }
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO model_version_transitions (version, from_status, "
              "to_status, at, reason, actor) VALUES (?, ?, ?, ?, ?, ?)",
              {version.value(), std::string(VersionStatusName(cur.status)),
               std::string(VersionStatusName(to)), now, std::string(reason), std::string(actor)})
          .status());
  return Get(tx, version);
}

Result<VersionInfo> ModelRegistry::Get(db::Transaction& tx, const VersionId& version) const {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne(std::string(kSelect) + " WHERE version = ?", {version.value()}));
  if (!row) return NotFoundError("no model version '" + version.value() + "'");
  return FromRow(*row);
}

Result<VersionInfo> ModelRegistry::Get(const VersionId& version) const {
  std::optional<VersionInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, Get(tx, version));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<std::vector<VersionInfo>> ModelRegistry::List() const {
  std::vector<VersionInfo> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(std::string(kSelect) + " ORDER BY seq"));
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(VersionInfo v, FromRow(r));
      out.push_back(std::move(v));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<TransitionRecord>> ModelRegistry::History(const VersionId& version) const {
  std::vector<TransitionRecord> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(Get(tx, version).status());
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT from_status, to_status, at, reason, actor FROM "
                              "model_version_transitions WHERE version = ? ORDER BY id",
                              {version.value()}));
    for (const db::Row& r : rows) {
      TransitionRecord t;
      t.version = version;
      if (!r.IsNull(0)) {
        ASSIGN_OR_RETURN(t.from, ParseVersionStatus(r.Text(0)));
      }
      ASSIGN_OR_RETURN(t.to, ParseVersionStatus(r.Text(1)));
      t.at = FromUnixMillis(r.Int(2));
      t.reason = r.Text(3);
      t.actor = r.Text(4);
      out.push_back(std::move(t));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace loupe::models
