// The Choice state's rules: parsed from "Choices" (each a comparison, or And/Or/Not of
// rules) and evaluated against a state's input by EvaluateChoice.
#include <array>
#include <string>
#include <utility>

#include "workflow/definition_fields.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

using Op = ChoiceRule::Op;
struct Comparison {
  std::string_view name;
  Op op;
  enum Kind { kString, kNumber, kBool } kind;
};
constexpr std::array<Comparison, 7> kComparisons = {{
    {"StringEquals", Op::kStringEquals, Comparison::kString},
    {"NumericEquals", Op::kNumericEquals, Comparison::kNumber},
    {"NumericLessThan", Op::kNumericLessThan, Comparison::kNumber},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals, Comparison::kNumber},
    {"NumericGreaterThan", Op::kNumericGreaterThan, Comparison::kNumber},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals, Comparison::kNumber},
    {"BooleanEquals", Op::kBooleanEquals, Comparison::kBool},
}};

Result<ChoiceRule> ParseRule(const json& j, const Where& where, std::string_view field,
                             bool top_level) {
  if (!j.is_object()) return where.Error(field, "a choice rule must be an object");
  ChoiceRule rule;
  if (top_level) {
    auto next = j.find("Next");
    if (next == j.end() || !next->is_string()) {
      return where.Error(field, "each top-level choice rule needs a \"Next\" string");
    }
    rule.next = next->get<std::string>();
  } else if (j.contains("Next")) {
    return where.Error(field, "only top-level choice rules may have \"Next\"");
  }
  auto boolean = [&](std::string_view name, Op op) -> Result<bool> {
    auto it = j.find(name);
    if (it == j.end()) return false;
    rule.op = op;
    if (op == Op::kNot) {
      ASSIGN_OR_RETURN(ChoiceRule child, ParseRule(*it, where, std::string(field) + ".Not", false));
      rule.children.push_back(std::move(child));
      return true;
    }
    if (!it->is_array() || it->empty()) {
      return where.Error(field, std::string(name) + " must be a non-empty array of rules");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      ASSIGN_OR_RETURN(ChoiceRule child, ParseRule((*it)[i], where,
                                                   std::string(field) + "." + std::string(name) +
                                                       "[" + std::to_string(i) + "]",
                                                   false));
      rule.children.push_back(std::move(child));
    }
    return true;
  };
  for (auto [name, op] :
       {std::pair{"And", Op::kAnd}, std::pair{"Or", Op::kOr}, std::pair{"Not", Op::kNot}}) {
    ASSIGN_OR_RETURN(bool found, boolean(name, op));
    if (found) return rule;
  }
  ASSIGN_OR_RETURN(JsonPath variable, RequiredPath(j, "Variable", where));
  rule.variable = std::move(variable);
  int found = 0;
  if (auto it = j.find("IsPresent"); it != j.end()) {
    if (!it->is_boolean()) return where.Error(field, "IsPresent must be true or false");
    rule.op = Op::kIsPresent;
    rule.value = *it;
    ++found;
  }
  for (const Comparison& c : kComparisons) {
    std::string name(c.name);
    if (auto it = j.find(name); it != j.end()) {
      bool ok = c.kind == Comparison::kString   ? it->is_string()
                : c.kind == Comparison::kNumber ? it->is_number()
                                                : it->is_boolean();
      if (!ok) return where.Error(field, name + " has an operand of the wrong type");
      rule.op = c.op;
      rule.value = *it;
      ++found;
    }
    if (auto it = j.find(name + "Path"); it != j.end()) {
      ASSIGN_OR_RETURN(JsonPath p, RequiredPath(j, name + "Path", where));
      rule.op = c.op;
      rule.value_path = std::move(p);
      ++found;
    }
  }
  if (found != 1) {
    return where.Error(field, found == 0 ? "a rule needs one comparison operator (StringEquals, "
                                           "NumericEquals, ..., IsPresent, And, Or, Not)"
                                         : "a rule may have only one comparison operator");
  }
  return rule;
}

Result<bool> Evaluate(const ChoiceRule& rule, const json& input, const json& context) {
  switch (rule.op) {
    case Op::kAnd:
      for (const auto& c : rule.children) {
        ASSIGN_OR_RETURN(bool v, Evaluate(c, input, context));
        if (!v) return false;
      }
      return true;
    case Op::kOr:
      for (const auto& c : rule.children) {
        ASSIGN_OR_RETURN(bool v, Evaluate(c, input, context));
        if (v) return true;
      }
      return false;
    case Op::kNot: {
      ASSIGN_OR_RETURN(bool v, Evaluate(rule.children.front(), input, context));
      return !v;
    }
    case Op::kIsPresent:
      return PathExists(*rule.variable, input, context) == rule.value.get<bool>();
    default:
      break;
  }
  // Comparisons: a missing variable is a runtime error, as in the replaced service.
  ASSIGN_OR_RETURN(json variable, SelectPath(*rule.variable, input, context));
  json operand = rule.value;
  if (rule.value_path) {
    ASSIGN_OR_RETURN(operand, SelectPath(*rule.value_path, input, context));
  }
  switch (rule.op) {
    case Op::kStringEquals:
      return variable.is_string() && operand.is_string() && variable == operand;
    case Op::kBooleanEquals:
      return variable.is_boolean() && operand.is_boolean() && variable == operand;
    default:
      break;
  }
  if (!variable.is_number() || !operand.is_number()) return false;
  double a = variable.get<double>();
  double b = operand.get<double>();
  switch (rule.op) {
    case Op::kNumericEquals:
      return a == b;
    case Op::kNumericLessThan:
      return a < b;
    case Op::kNumericLessThanEquals:
      return a <= b;
    case Op::kNumericGreaterThan:
      return a > b;
    case Op::kNumericGreaterThanEquals:
      return a >= b;
    default:
      return false;
  }
}

}  // namespace

Status ParseChoiceFields(const json& j, const Where& where, State& s) {
  auto it = j.find("Choices");
  if (it == j.end() || !it->is_array() || it->empty()) {
    return where.Error("Choices", "missing: a Choice needs a non-empty \"Choices\" array");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    ASSIGN_OR_RETURN(ChoiceRule rule,
                     ParseRule((*it)[i], where, "Choices[" + std::to_string(i) + "]", true));
    s.choices.push_back(std::move(rule));
  }
  ASSIGN_OR_RETURN(s.default_next, OptionalString(j, "Default", where));
  return Status::Ok();
}

Result<std::optional<std::string>> EvaluateChoice(const State& choice, const json& input,
                                                  const json& context) {
  for (const ChoiceRule& rule : choice.choices) {
    ASSIGN_OR_RETURN(bool match, Evaluate(rule, input, context));
    if (match) return std::optional<std::string>(rule.next);
  }
  if (!choice.default_next.empty()) return std::optional<std::string>(choice.default_next);
  return std::optional<std::string>();
}

}  // namespace loupe::workflow
