#pragma once
// The JSONPath subset of the Amazon States Language, and the data-flow helpers built on it:
// reference paths ("$", "$.a.b", "$.items[2].name", "$$.Execution.Id") for InputPath,
// OutputPath, "key.$" Parameters and Choice variables, and ResultPath insertion.
// Pure functions over nlohmann::json values; thread-safe.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace loupe::workflow {

// A parsed reference path. Steps are object fields (string) or array indices (size_t).
struct JsonPath {
  bool context = false;  // "$$..." reads the context object instead of the state's input
  std::vector<std::variant<std::string, size_t>> steps;
  std::string text;  // as written
};

// Parses "$", "$.a.b[0].c", "$$.Execution.Id", "$['a b']". InvalidArgument with the reason.
Result<JsonPath> ParseJsonPath(std::string_view text);

// The value at `path` in `input` (or in `context` for "$$" paths). InvalidArgument naming the
// path if a step is missing, so callers can raise States.Runtime.
Result<nlohmann::json> SelectPath(const JsonPath& path, const nlohmann::json& input,
                                  const nlohmann::json& context);
// Whether `path` names an existing value (for Choice IsPresent).
bool PathExists(const JsonPath& path, const nlohmann::json& input, const nlohmann::json& context);

// ResultPath: a copy of `input` with `result` stored at `path` (creating objects on the way);
// "$" replaces the whole input. REQUIRES: !path.context. InvalidArgument when a step crosses a
// non-object value or an array index out of range.
Result<nlohmann::json> InsertAtPath(const JsonPath& path, const nlohmann::json& input,
                                    nlohmann::json result);

// Parameters / Pass Result templates: objects whose keys ending in ".$" are paths evaluated
// against input/context (the ".$" is removed from the key); other values are copied; nested
// objects and arrays are processed recursively.
Result<nlohmann::json> ApplyTemplate(const nlohmann::json& tmpl, const nlohmann::json& input,
                                     const nlohmann::json& context);
// Checks every "key.$" path in a template parses; InvalidArgument naming the key otherwise.
Status ValidateTemplate(const nlohmann::json& tmpl);

}  // namespace loupe::workflow
