#pragma once
// What the parsers of a definition share (internal to definition.cc, parse_*.cc, choice.cc):
// the "state 'X': field 'F': why" errors, the readers of optional and required fields, and
// the parsers of each state type's own fields, which ParseState dispatches to. Pure;
// thread-safe.

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "workflow/definition.h"

namespace loupe::workflow {

// Builds "state 'X': field 'F': why" errors (no state part for top-level fields).
class Where {
 public:
  explicit Where(std::string state) : state_(std::move(state)) {}
  [[nodiscard]] Status Error(std::string_view field, const std::string& why) const;

 private:
  std::string state_;
};

using ResourceKnown = std::function<bool(std::string_view resource)>;

// A path field: absent -> "$" (or nullopt when !default_root), null -> nullopt.
Result<std::optional<JsonPath>> OptionalPath(const nlohmann::json& obj, std::string_view field,
                                             const Where& where, bool allow_context,
                                             bool default_root = true);
Result<JsonPath> RequiredPath(const nlohmann::json& obj, std::string_view field,
                              const Where& where);
// A string field; absent -> "".
Result<std::string> OptionalString(const nlohmann::json& obj, std::string_view field,
                                   const Where& where);
// The ErrorEquals of a retrier or catcher at `field`: non-empty names, States.ALL alone.
Result<std::vector<std::string>> ErrorEquals(const nlohmann::json& obj, const Where& where,
                                             std::string_view field);
// InvalidArgument naming "<field>.<key>" for the first key of `obj` not in `allowed`: "not
// supported in a <what>".
[[nodiscard]] Status OnlyFields(const nlohmann::json& obj, const Where& where,
                                const std::string& field,
                                std::initializer_list<std::string_view> allowed,
                                std::string_view what);

// One state (parse_state.cc): the fields every type shares, then its type's own.
Result<State> ParseState(const std::string& name, const nlohmann::json& j,
                         const ResourceKnown& resource_known);

// Each state type's own fields, into `s` (REQUIRES: s.type is that type).
[[nodiscard]] Status ParseTaskFields(const nlohmann::json& j, const Where& where,
                                     const ResourceKnown& resource_known, State& s);
[[nodiscard]] Status ParseChoiceFields(const nlohmann::json& j, const Where& where, State& s);
[[nodiscard]] Status ParseWaitFields(const nlohmann::json& j, const Where& where, State& s);
[[nodiscard]] Status ParsePassFields(const nlohmann::json& j, const Where& where, State& s);
[[nodiscard]] Status ParseFailFields(const nlohmann::json& j, const Where& where, State& s);

}  // namespace loupe::workflow
