#include "models/model_registry.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace loupe::models {
namespace {

namespace fs = std::filesystem;
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

db::Value OptText(const std::optional<VersionId>& v) {
  if (!v) return nullptr;
  return v->value();
}

// The parts of model.json worth showing in listings; InvalidArgument if it is not an artifact.
Result<json> SummaryOf(std::string_view model_json) {
  json j = json::parse(model_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "loupe-model") {
    return InvalidArgumentError("model.json is not a loupe model artifact");
  }
  if (!j.contains("labels") || !j["labels"].is_array() || j["labels"].empty()) {
    return InvalidArgumentError("model.json has no labels");
  }
  json s = {{"labels", j["labels"]}, {"format_version", j.value("format_version", 0)}};
  if (j.contains("backbone") && j["backbone"].is_object()) {
    s["backbone"] = j["backbone"].value("id", "");
  }
  if (j.contains("metrics")) s["metrics"] = j["metrics"];
  if (j.contains("training")) s["training"] = j["training"];
  if (j.contains("created")) s["trained_at"] = j["created"];
  return s;
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

Result<VersionInfo> ModelRegistry::ImportFiles(const std::map<std::string, std::string>& files,
                                               std::string_view name, std::string_view actor) {
  auto model = files.find(std::string(kModelFile));
  if (model == files.end()) {
    return InvalidArgumentError("not a model artifact: it has no model.json");
  }
  RETURN_IF_ERROR(SummaryOf(model->second).status());
  if (!name.empty()) RETURN_IF_ERROR(ValidateVersionName(name));
  // Reserve the name first so two imports can't write into the same prefix, then copy the
  // files, then mark the version complete. A crash in between leaves a TRAINING_IN_PROGRESS
  // version whose artifact is incomplete, never a complete-looking one.
  ASSIGN_OR_RETURN(VersionInfo v, CreateTraining(name, actor));
  return CompleteFiles(v.version, files, "imported artifact", actor);
}

Result<VersionInfo> ModelRegistry::CompleteFiles(const VersionId& version,
                                                 const std::map<std::string, std::string>& files,
                                                 std::string_view reason, std::string_view actor) {
  ASSIGN_OR_RETURN(VersionInfo v, Get(version));
  RETURN_IF_ERROR(CheckTransition(v.status, VersionStatus::kTrainingCompleted)
                      .WithContext("model version " + version.value()));
  auto fail = [&](const Status& why) -> Status {
    auto failed = Transition(version, VersionStatus::kTrainingFailed,
                             std::string(reason) + " failed: " + why.message(), actor);
    (void)failed;
    return why;
  };
  auto model = files.find(std::string(kModelFile));
  if (model == files.end()) {
    return fail(InvalidArgumentError("not a model artifact: it has no model.json"));
  }
  Result<json> summary = SummaryOf(model->second);
  if (!summary.ok()) return fail(summary.status());
  for (const auto& [file, bytes] : files) {
    if (file == kModelFile) continue;
    if (auto put = store_.Put(v.artifact_prefix + file, bytes); !put.ok()) {
      return fail(put.status());
    }
  }
  // model.json last: its presence marks a complete artifact.
  if (auto put = store_.Put(v.artifact_prefix + std::string(kModelFile), model->second);
      !put.ok()) {
    return fail(put.status());
  }
  std::optional<VersionInfo> out;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    RETURN_IF_ERROR(tx.Exec("UPDATE model_versions SET summary = ? WHERE version = ?",
                            {summary->dump(), version.value()})
                        .status());
    ASSIGN_OR_RETURN(out,
                     Transition(tx, version, VersionStatus::kTrainingCompleted, reason, actor));
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<VersionInfo> ModelRegistry::ImportFromStore(std::string_view source_prefix,
                                                   std::string_view name, std::string_view actor) {
  std::string prefix(source_prefix);
  if (prefix.empty()) return InvalidArgumentError("an artifact prefix is required");
  if (prefix.back() != '/') prefix += '/';
  std::map<std::string, std::string> files;
  std::string token;
  do {
    ASSIGN_OR_RETURN(store::ListPage page, store_.List(prefix, token));
    for (const store::ObjectInfo& o : page.objects) {
      ASSIGN_OR_RETURN(std::string bytes, store_.Get(o.key));
      files[o.key.substr(prefix.size())] = std::move(bytes);
    }
    token = page.next_page_token;
  } while (!token.empty());
  if (files.empty()) return NotFoundError("no objects under '" + prefix + "'");
  return ImportFiles(files, name, actor);
}

namespace {

// Every regular file under `dir`, by path relative to it.
Result<std::map<std::string, std::string>> ReadDirectory(const fs::path& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return UnavailableError("cannot read " + it->path().string());
    files[fs::relative(it->path(), dir, ec).generic_string()] = ss.str();
  }
  if (ec) {
    return NotFoundError("cannot read artifact directory " + dir.string() + ": " + ec.message());
  }
  return files;
}

}  // namespace

Result<VersionInfo> ModelRegistry::ImportDirectory(const fs::path& dir, std::string_view name,
                                                   std::string_view actor) {
  ASSIGN_OR_RETURN(auto files, ReadDirectory(dir));
  return ImportFiles(files, name, actor);
}

Result<VersionInfo> ModelRegistry::CompleteTraining(const VersionId& version, const fs::path& dir,
                                                    std::string_view actor) {
  auto files = ReadDirectory(dir);
  if (!files.ok()) {
    (void)Transition(version, VersionStatus::kTrainingFailed,
                     "training output unreadable: " + files.status().message(), actor);
    return files.status();
  }
  return CompleteFiles(version, *files, "training completed", actor);
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

Status ModelRegistry::Materialize(const VersionId& version, const fs::path& dir) const {
  ASSIGN_OR_RETURN(VersionInfo v, Get(version));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
  std::string token;
  bool has_model = false;
  do {
    ASSIGN_OR_RETURN(store::ListPage page, store_.List(v.artifact_prefix, token));
    for (const store::ObjectInfo& o : page.objects) {
      std::string rel = o.key.substr(v.artifact_prefix.size());
      if (rel == kModelFile) has_model = true;
      ASSIGN_OR_RETURN(std::string bytes, store_.Get(o.key));
      fs::path target = dir / rel;
      fs::create_directories(target.parent_path(), ec);
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return UnavailableError("cannot write " + target.string());
    }
    token = page.next_page_token;
  } while (!token.empty());
  if (!has_model) {
    return FailedPreconditionError("model version " + version.value() +
                                   " has no complete artifact under " + v.artifact_prefix);
  }
  return Status::Ok();
}

}  // namespace loupe::models
