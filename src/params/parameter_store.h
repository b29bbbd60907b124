#pragma once
// ParameterStore: the operator's run-time parameters (DESIGN.md §5) with their exact names,
// types, ranges and defaults, plus the system JSON parameter that holds operational state.
// Every change is validated, versioned (who, when, old, new), recorded in history and emits a
// durable ParameterChanged event in the same transaction; readers see the new value as soon
// as the change commits, without restart. Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/result.h"
#include "db/database.h"
#include "events/event_log.h"

namespace loupe::params {

inline constexpr std::string_view kEnableAutomaticTraining = "Enable-Automatic-Training";
inline constexpr std::string_view kTrainingPollFrequency = "Automatic-Training-Poll-Frequency";
inline constexpr std::string_view kMinimumUntrainedImages = "Minimum-Untrained-Images";
inline constexpr std::string_view kMinimumF1Score = "Minimum-F1-Score";
inline constexpr std::string_view kMinimumInferenceUnits = "Minimum-Inference-Units";
inline constexpr std::string_view kMinimumDetectionConfidence =
    "Minimum-Label-Detection-Confidence";
inline constexpr std::string_view kEnableA2IWorkflow = "Enable-A2I-Workflow";
// Operational state written by loupe itself (deployed version, images in last training, ...).
inline constexpr std::string_view kSystemState = "System-State";

enum class ParamType { kBool, kInteger, kNumber, kJson };

// The one string table of ParamType ("type" in the API's parameter listing).
inline constexpr EnumTable<ParamType, 4> kParamTypeNames{{{
    {ParamType::kBool, "boolean"},
    {ParamType::kInteger, "integer"},
    {ParamType::kNumber, "number"},
    {ParamType::kJson, "json"},
}}};

inline std::string_view ParamTypeName(ParamType type) { return kParamTypeNames.Name(type); }

struct ParamSpec {
  std::string_view name;
  ParamType type;
  double min = 0;  // inclusive; numeric types only
  double max = 0;  // inclusive
  std::string_view default_json;
  std::string_view unit;
  std::string_view description;
  bool system = false;  // written by loupe, read-only through the API
};

// The table of every parameter, in display order.
const std::vector<ParamSpec>& AllParamSpecs();
const ParamSpec* FindParamSpec(std::string_view name);
// Checks `value` against the spec: InvalidArgument naming the allowed type/range otherwise.
Status ValidateValue(const ParamSpec& spec, const nlohmann::json& value);

struct ParamValue {
  std::string name;
  nlohmann::json value;
  int64_t version = 0;  // 1 = the default, written on first start
  TimePoint updated_at;
  std::string updated_by;
};

struct ParamVersion {
  int64_t version = 0;
  nlohmann::json old_value;  // null for version 1
  nlohmann::json new_value;
  TimePoint updated_at;
  std::string updated_by;
};

class ParameterStore {
 public:
  // Creates tables, writes defaults for parameters that have no value yet, and loads the cache.
  static Result<std::unique_ptr<ParameterStore>> Open(db::Database& db, const Clock& clock,
                                                      events::EventLog& events);

  // NotFound for an unknown name.
  [[nodiscard]] Result<ParamValue> Get(std::string_view name) const;
  std::vector<ParamValue> List() const;

  // Typed readers of current values. REQUIRES: `name` is a parameter of that type.
  bool GetBool(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  double GetNumber(std::string_view name) const;
  nlohmann::json GetJson(std::string_view name) const;

  // Validates and stores a new value as the next version, appends history and a
  // ParameterChanged event, atomically. Setting the current value again is a no-op that
  // returns the current version. `allow_system` must be true to write system parameters.
  [[nodiscard]] Result<ParamValue> Set(std::string_view name, const nlohmann::json& value,
                                       std::string_view updated_by, bool allow_system = false);
  // Same, inside the caller's transaction (the cache refreshes when it commits).
  [[nodiscard]] Result<ParamValue> Set(db::Transaction& tx, std::string_view name,
                                       const nlohmann::json& value, std::string_view updated_by,
                                       bool allow_system = false);

  // Versions of one parameter, newest first.
  [[nodiscard]] Result<std::vector<ParamVersion>> History(std::string_view name) const;

  // Picks up changes committed by other processes (several `loupe serve` on one PostgreSQL):
  // reads the current rows and applies each one newer than the cache, calling the listeners
  // as for a change made here. A no-op when nothing changed elsewhere. The app calls it every
  // second.
  [[nodiscard]] Status Refresh();

  using Listener = std::function<void(const ParamValue& changed)>;
  // Calls `listener` after each committed change (on the committing thread). Register at
  // wiring time, before concurrent use.
  void Subscribe(Listener listener);

 private:
  ParameterStore(db::Database& db, const Clock& clock, events::EventLog& events)
      : db_(db), clock_(clock), events_(events) {}
  Status Load();
  Result<std::map<std::string, ParamValue, std::less<>>> ReadAll() const;
  void Committed(const ParamValue& value);
  ParamValue Cached(std::string_view name) const;

  db::Database& db_;
  const Clock& clock_;
  events::EventLog& events_;
  mutable std::shared_mutex mu_;
  std::map<std::string, ParamValue, std::less<>> cache_;  // guarded by mu_
  std::vector<Listener> listeners_;
};

}  // namespace loupe::params
