#include "params/parameter_store.h"

#include <cmath>
#include <sstream>

#include "core/check.h"

namespace loupe::params {
namespace {

using nlohmann::json;

const std::vector<db::Migration> kMigrations = {
    {1, "parameters and history",
     "CREATE TABLE parameters ("
     " name TEXT PRIMARY KEY,"
     " value TEXT NOT NULL,"
     " version INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " updated_by TEXT NOT NULL);"
     "CREATE TABLE parameter_history ("
     " name TEXT NOT NULL,"
     " version INTEGER NOT NULL,"
     " old_value TEXT,"
     " new_value TEXT NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " updated_by TEXT NOT NULL,"
     " PRIMARY KEY (name, version));"},
};

std::string FormatNumber(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

json ParseStored(const std::string& text) {
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  CHECK(!v.is_discarded()) << "corrupt stored parameter value: " << text;
  return v;
}

}  // namespace

const std::vector<ParamSpec>& AllParamSpecs() {
  static const std::vector<ParamSpec> kSpecs = {
      {kEnableAutomaticTraining, ParamType::kBool, 0, 0, "true", "",
       "Schedule of the automatic training poll on/off."},
      {kTrainingPollFrequency, ParamType::kInteger, 1, 10080, "600", "minutes",
       "Period of the automatic training poll."},
      {kMinimumUntrainedImages, ParamType::kInteger, 1, 1e9, "10", "images",
       "New labelled images since the last successful training needed to train."},
      {kMinimumF1Score, ParamType::kNumber, 0, 1, "0.8", "",
       "A trained version deploys only if its macro F1 is at least this."},
      {kMinimumInferenceUnits, ParamType::kInteger, 1, 64, "1", "units",
       "Inference units of the running version."},
      {kMinimumDetectionConfidence, ParamType::kNumber, 0, 100, "70.0", "percent",
       "Below this confidence a detection goes to human review."},
      {kEnableA2IWorkflow, ParamType::kBool, 0, 0, "true", "", "Human review on/off."},
      {kSystemState, ParamType::kJson, 0, 0, "{}", "",
       "Operational state written by loupe (deployed version, images in last training).", true},
  };
  return kSpecs;
}

const ParamSpec* FindParamSpec(std::string_view name) {
  for (const ParamSpec& spec : AllParamSpecs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Status ValidateValue(const ParamSpec& spec, const json& value) {
  const std::string name(spec.name);
  switch (spec.type) {
    case ParamType::kBool:
      if (!value.is_boolean()) {
        return InvalidArgumentError(name + " must be a boolean: true or false (got " +
                                    value.dump() + ")");
      }
      return Status::Ok();
    case ParamType::kJson:
      if (!value.is_object()) return InvalidArgumentError(name + " must be a JSON object");
      return Status::Ok();
    case ParamType::kInteger:
    case ParamType::kNumber: {
      const std::string range = "[" + FormatNumber(spec.min) + ", " + FormatNumber(spec.max) + "]";
      const std::string kind = spec.type == ParamType::kInteger ? "an integer" : "a number";
      if (!value.is_number()) {
        return InvalidArgumentError(name + " must be " + kind + " in " + range + " (got " +
                                    value.dump() + ")");
      }
      double v = value.get<double>();
      if (spec.type == ParamType::kInteger && !value.is_number_integer() && std::floor(v) != v) {
        return InvalidArgumentError(name + " must be an integer in " + range + " (got " +
                                    value.dump() + ")");
      }
      if (!std::isfinite(v) || v < spec.min || v > spec.max) {
        return InvalidArgumentError(name + " must be in " + range + " (got " + value.dump() + ")");
      }
      return Status::Ok();
    }
  }
  return InternalError("unknown parameter type");
}

Result<std::unique_ptr<ParameterStore>> ParameterStore::Open(db::Database& db, const Clock& clock,
                                                             events::EventLog& events) {
  RETURN_IF_ERROR(db.Migrate("params", kMigrations));
  auto store = std::unique_ptr<ParameterStore>(new ParameterStore(db, clock, events));
  RETURN_IF_ERROR(db.Write([&](db::Transaction& tx) -> Status {
    for (const ParamSpec& spec : AllParamSpecs()) {
      int64_t now = ToUnixMillis(clock.Now());
      ASSIGN_OR_RETURN(int64_t inserted,
                       tx.Exec("INSERT INTO parameters(name, value, version, updated_ms, "
                               "updated_by) VALUES (?, ?, 1, ?, 'default') "
                               "ON CONFLICT(name) DO NOTHING",
                               {std::string(spec.name), std::string(spec.default_json), now}));
      if (inserted == 0) continue;
      RETURN_IF_ERROR(tx.Exec("INSERT INTO parameter_history(name, version, old_value, "
                              "new_value, updated_ms, updated_by) "
                              "VALUES (?, 1, NULL, ?, ?, 'default')",
                              {std::string(spec.name), std::string(spec.default_json), now})
                          .status());
    }
    return Status::Ok();
  }));
  RETURN_IF_ERROR(store->Load());
  return store;
}

Status ParameterStore::Load() {
  ASSIGN_OR_RETURN(auto loaded, ReadAll());
  std::unique_lock lock(mu_);
  cache_ = std::move(loaded);
  return Status::Ok();
}

Status ParameterStore::Refresh() {
  ASSIGN_OR_RETURN(auto current, ReadAll());
  for (const auto& [name, value] : current) {
    bool newer = false;
    {
      std::shared_lock lock(mu_);
      auto it = cache_.find(name);
      newer = it == cache_.end() || it->second.version < value.version;
    }
    if (newer) Committed(value);
  }
  return Status::Ok();
}

Result<std::map<std::string, ParamValue, std::less<>>> ParameterStore::ReadAll() const {
  std::map<std::string, ParamValue, std::less<>> loaded;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    loaded.clear();
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query("SELECT name, value, version, updated_ms, updated_by "
                                             "FROM parameters"));
    for (const db::Row& row : rows) {
      if (FindParamSpec(row.Text(0)) == nullptr) continue;  // from a newer binary; ignored
      json value = json::parse(row.Text(1), nullptr, false);
      if (value.is_discarded()) return DataLossError("parameter " + row.Text(0) + " is corrupt");
      loaded[row.Text(0)] = ParamValue{row.Text(0), std::move(value), row.Int(2),
                                       FromUnixMillis(row.Int(3)), row.Text(4)};
    }
    return Status::Ok();
  }));
  return loaded;
}

Result<ParamValue> ParameterStore::Get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = cache_.find(name);
  if (it == cache_.end()) {
    return NotFoundError("no parameter named '" + std::string(name) + "'");
  }
  return it->second;
}

std::vector<ParamValue> ParameterStore::List() const {
  std::vector<ParamValue> out;
  std::shared_lock lock(mu_);
  for (const ParamSpec& spec : AllParamSpecs()) {
    auto it = cache_.find(spec.name);
    if (it != cache_.end()) out.push_back(it->second);
  }
  return out;
}

ParamValue ParameterStore::Cached(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = cache_.find(name);
  CHECK(it != cache_.end()) << "parameter " << name << " not loaded";
  return it->second;
}

bool ParameterStore::GetBool(std::string_view name) const { return Cached(name).value.get<bool>(); }
int64_t ParameterStore::GetInt(std::string_view name) const {
  return static_cast<int64_t>(Cached(name).value.get<double>());
}
double ParameterStore::GetNumber(std::string_view name) const {
  return Cached(name).value.get<double>();
}
json ParameterStore::GetJson(std::string_view name) const { return Cached(name).value; }

Result<ParamValue> ParameterStore::Set(std::string_view name, const json& value,
                                       std::string_view updated_by, bool allow_system) {
  ParamValue result;
  RETURN_IF_ERROR(db_.Write([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(result, Set(tx, name, value, updated_by, allow_system));
    return Status::Ok();
  }));
  return result;
}

Result<ParamValue> ParameterStore::Set(db::Transaction& tx, std::string_view name,
                                       const json& value, std::string_view updated_by,
                                       bool allow_system) {
  const ParamSpec* spec = FindParamSpec(name);
  if (spec == nullptr) return NotFoundError("no parameter named '" + std::string(name) + "'");
  if (spec->system && !allow_system) {
    return PermissionDeniedError(std::string(name) + " is written by loupe itself");
  }
  RETURN_IF_ERROR(ValidateValue(*spec, value));
  json stored = value;
  if (spec->type == ParamType::kInteger) stored = static_cast<int64_t>(value.get<double>());
  if (spec->type == ParamType::kNumber) stored = value.get<double>();

  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT value, version, updated_ms, updated_by "
                                         "FROM parameters WHERE name = ?",
                                         {std::string(name)}));
  if (!row) return InternalError("parameter row missing: " + std::string(name));
  json old_value = ParseStored(row->Text(0));
  if (old_value == stored) {
    return ParamValue{std::string(name), old_value, row->Int(1), FromUnixMillis(row->Int(2)),
                      row->Text(3)};
  }
  ParamValue next{std::string(name), stored, row->Int(1) + 1, clock_.Now(),
                  std::string(updated_by)};
  int64_t now = ToUnixMillis(next.updated_at);
  RETURN_IF_ERROR(tx.Exec("UPDATE parameters SET value = ?, version = ?, updated_ms = ?, "
                          "updated_by = ? WHERE name = ?",
                          {stored.dump(), next.version, now, next.updated_by, next.name})
                      .status());
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO parameter_history(name, version, old_value, new_value, "
              "updated_ms, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
              {next.name, next.version, old_value.dump(), stored.dump(), now, next.updated_by})
          .status());
  RETURN_IF_ERROR(events_
                      .Append(tx, events::EventKind::kParameterChanged,
                              {{"name", next.name},
                               {"old", old_value},
                               {"new", stored},
                               {"version", next.version},
                               {"updated_by", next.updated_by}})
                      .status());
  tx.OnCommit([this, next] { Committed(next); });
  return next;
}

void ParameterStore::Committed(const ParamValue& value) {
  {
    std::unique_lock lock(mu_);
    ParamValue& slot = cache_[value.name];
    if (slot.version >= value.version) return;  // a newer commit's hook already ran
    slot = value;
  }
  for (const Listener& listener : listeners_) listener(value);
}

Result<std::vector<ParamVersion>> ParameterStore::History(std::string_view name) const {
  if (FindParamSpec(name) == nullptr) {
    return NotFoundError("no parameter named '" + std::string(name) + "'");
  }
  std::vector<ParamVersion> out;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     tx.Query("SELECT version, old_value, new_value, updated_ms, updated_by "
                              "FROM parameter_history WHERE name = ? ORDER BY version DESC",
                              {std::string(name)}));
    for (const db::Row& row : rows) {
      out.push_back(ParamVersion{row.Int(0), row.IsNull(1) ? json() : ParseStored(row.Text(1)),
                                 ParseStored(row.Text(2)), FromUnixMillis(row.Int(3)),
                                 row.Text(4)});
    }
    return Status::Ok();
  }));
  return out;
}

void ParameterStore::Subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }

}  // namespace loupe::params
