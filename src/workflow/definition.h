#pragma once
// A parsed, validated state machine in loupe's subset of the Amazon States Language:
// Task, Choice, Wait, Pass, Succeed, Fail; InputPath/Parameters/ResultPath/OutputPath; Retry
// and Catch; Task TimeoutSeconds; Choice comparisons with And/Or/Not. A definition that
// parses is immutable and safe to share between threads (held by shared_ptr<const>).

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_table.h"
#include "core/result.h"
#include "workflow/json_path.h"

namespace loupe::workflow {

enum class StateType { kTask, kChoice, kWait, kPass, kSucceed, kFail };

// The one string table of StateType: the "Type" field of a state.
inline constexpr EnumTable<StateType, 6> kStateTypeNames{{{{StateType::kTask, "Task"},
                                                           {StateType::kChoice, "Choice"},
                                                           {StateType::kWait, "Wait"},
                                                           {StateType::kPass, "Pass"},
                                                           {StateType::kSucceed, "Succeed"},
                                                           {StateType::kFail, "Fail"}}}};

inline std::string_view StateTypeName(StateType type) { return kStateTypeNames.Name(type); }

// Error names the engine raises itself.
inline constexpr std::string_view kErrorAll = "States.ALL";
inline constexpr std::string_view kErrorTaskFailed = "States.TaskFailed";
inline constexpr std::string_view kErrorTimeout = "States.Timeout";
inline constexpr std::string_view kErrorRuntime = "States.Runtime";
inline constexpr std::string_view kErrorNoChoiceMatched = "States.NoChoiceMatched";

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int max_attempts = 3;
  double backoff_rate = 2.0;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  // Where the error object {"Error","Cause"} goes; nullopt = ResultPath null (discard).
  std::optional<JsonPath> result_path;
};

// One Choice rule: a comparison, or a boolean combination of rules.
struct ChoiceRule {  // NOLINT(bugprone-exception-escape): json members' implicit moves
  enum class Op {
    kAnd,
    kOr,
    kNot,
    kStringEquals,
    kNumericEquals,
    kNumericLessThan,
    kNumericLessThanEquals,
    kNumericGreaterThan,
    kNumericGreaterThanEquals,
    kBooleanEquals,
    kIsPresent,
  };
  Op op = Op::kAnd;
  std::optional<JsonPath> variable;    // comparisons only
  nlohmann::json value;                // literal operand
  std::optional<JsonPath> value_path;  // the "...Path" form: operand read from a path
  std::vector<ChoiceRule> children;    // And/Or (several), Not (one)
  std::string next;                    // top-level rules only
};

struct State {
  std::string name;
  StateType type = StateType::kPass;
  std::string comment;
  std::string next;  // empty when end
  bool end = false;
  // Data flow. nullopt path = the JSON null literal (InputPath null -> {}, ResultPath null ->
  // discard the result, OutputPath null -> {}).
  std::optional<JsonPath> input_path;
  std::optional<JsonPath> output_path;
  std::optional<JsonPath> result_path;
  std::optional<nlohmann::json> parameters;
  std::optional<nlohmann::json> result;  // Pass
  // Task.
  std::string resource;
  std::optional<int> timeout_seconds;
  std::vector<Retrier> retry;
  std::vector<Catcher> catches;
  // Choice.
  std::vector<ChoiceRule> choices;
  std::string default_next;
  // Wait: exactly one of these.
  std::optional<double> seconds;
  std::optional<JsonPath> seconds_path;
  std::optional<std::string> timestamp;
  std::optional<JsonPath> timestamp_path;
  // Fail.
  std::string error;
  std::string cause;
};

struct Definition {  // NOLINT(bugprone-exception-escape): json members' implicit moves
  std::string comment;
  std::string start_at;
  std::map<std::string, State, std::less<>> states;
  nlohmann::json source;  // the JSON it was parsed from

  const State* Find(std::string_view name) const;
};

// Parses and validates a definition. InvalidArgument whose message names the state and field
// at fault ("state 'Detect': field 'Next': no state named 'Nowhere'"). `resource_known`, when
// given, checks each Task's Resource.
Result<std::shared_ptr<const Definition>> ParseDefinition(
    const nlohmann::json& source,
    const std::function<bool(std::string_view resource)>& resource_known = nullptr);
Result<std::shared_ptr<const Definition>> ParseDefinition(
    std::string_view text,
    const std::function<bool(std::string_view resource)>& resource_known = nullptr);

// Evaluates a Choice state's rules in order: the Next of the first rule that matches, else the
// Default, else nullopt (States.NoChoiceMatched). InvalidArgument when a rule reads a path
// that is missing or of the wrong type (States.Runtime).
Result<std::optional<std::string>> EvaluateChoice(const State& choice, const nlohmann::json& input,
                                                  const nlohmann::json& context);

// Whether an error name matches an ErrorEquals list (States.ALL matches everything;
// States.TaskFailed matches every error but States.Timeout).
bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error);

}  // namespace loupe::workflow
