#include "workflow/engine.h"

#include <utility>

#include "core/sha256.h"
#include "workflow/engine_rows.h"

namespace loupe::workflow {

using nlohmann::json;

Engine::Engine(db::Database& db, const Clock& clock, params::ParameterStore* params,
               EngineOptions options)
    : db_(db),
      clock_(clock),
      params_(params),
      options_(std::move(options)),
      owner_prefix_(options_.node_id + ":" + RandomHex(6) + ":") {}

Engine::~Engine() { Stop(); }

Result<std::unique_ptr<Engine>> Engine::Open(db::Database& db, const Clock& clock,
                                             params::ParameterStore* params,
                                             EngineOptions options) {
  if (options.workers < 0 || options.batch_size < 1) {
    return InvalidArgumentError("workflow engine: workers must be >= 0 and batch_size >= 1");
  }
  RETURN_IF_ERROR(db.Migrate("workflow", EngineMigrations()));
  auto engine = std::unique_ptr<Engine>(new Engine(db, clock, params, std::move(options)));
  // This node's previous incarnation is dead: its leases can be taken at once.
  RETURN_IF_ERROR(db.Write([&](db::Transaction& tx) {
    return tx
        .Exec(
            "UPDATE wf_executions SET lease_owner = NULL, lease_expires_ms = NULL "
            "WHERE lease_owner IS NOT NULL AND substr(lease_owner, 1, CAST(? AS INTEGER)) = ?",
            {static_cast<int64_t>(engine->options_.node_id.size() + 1),
             engine->options_.node_id + ":"})
        .status();
  }));
  return engine;
}

void Engine::RegisterHandler(std::string resource, TaskHandler handler) {
  handlers_[std::move(resource)] = std::move(handler);
}

Status Engine::LoadDefinition(std::string_view name, std::string_view json_text) {
  if (!ValidName(name) || name.find('.') != std::string_view::npos) {
    return InvalidArgumentError("state machine name '" + std::string(name) +
                                "' must be 1..80 of [A-Za-z0-9_-]");
  }
  ASSIGN_OR_RETURN(auto def, ParseDefinition(json_text, [this](std::string_view r) {
                     return handlers_.find(r) != handlers_.end();
                   }));
  std::string canonical = def->source.dump();
  Sha256 hash;
  hash.Update(canonical);
  std::string sha = hash.HexDigest();
  int64_t revision = 0;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT revision, sha256 FROM wf_definitions WHERE "
                                           "name = ? ORDER BY revision DESC LIMIT 1",
                                           {std::string(name)}));
    if (row && row->Text(1) == sha) {
      revision = row->Int(0);
      return Status::Ok();
    }
    revision = row ? row->Int(0) + 1 : 1;
    return tx
        .Exec(
            "INSERT INTO wf_definitions(name, revision, sha256, definition, created_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            {std::string(name), revision, sha, canonical, ToUnixMillis(clock_.Now())})
        .status();
  }));
  std::lock_guard lock(defs_mu_);
  defs_[{std::string(name), revision}] = {def, canonical.find("$$.Params") != std::string::npos};
  latest_[std::string(name)] = revision;
  return Status::Ok();
}

Result<Engine::Loaded> Engine::LoadRevision(db::Transaction& tx, const std::string& name,
                                            int64_t revision) {
  {
    std::lock_guard lock(defs_mu_);
    auto it = defs_.find({name, revision});
    if (it != defs_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT definition FROM wf_definitions WHERE name = ? "
                                         "AND revision = ?",
                                         {name, revision}));
  if (!row) {
    return DataLossError("state machine '" + name + "' revision " + std::to_string(revision) +
                         " is missing");
  }
  // Handlers are not re-checked: a missing one fails the task when it runs.
  ASSIGN_OR_RETURN(auto def, ParseDefinition(std::string_view(row->Text(0))));
  Loaded loaded{def, row->Text(0).find("$$.Params") != std::string::npos};
  std::lock_guard lock(defs_mu_);
  defs_[{name, revision}] = loaded;
  return loaded;
}

json Engine::ParamsSnapshot(const Loaded& loaded) const {
  if (!loaded.uses_params) return json();
  json out = json::object();
  if (params_ != nullptr) {
    for (const auto& v : params_->List()) out[v.name] = v.value;
  }
  return out;
}

}  // namespace loupe::workflow
