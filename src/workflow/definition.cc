#include "workflow/definition.h"

#include <array>
#include <cmath>
#include <set>
#include <utility>

#include "core/clock.h"

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

// Builds "state 'X': field 'F': why" errors.
class Where {
 public:
  explicit Where(std::string state) : state_(std::move(state)) {}
  Status Error(std::string_view field, const std::string& why) const {
    std::string msg = state_.empty() ? "" : "state '" + state_ + "': ";
    return InvalidArgumentError(msg + "field '" + std::string(field) + "': " + why);
  }

 private:
  std::string state_;
};

Result<std::optional<JsonPath>> OptionalPath(const json& obj, std::string_view field,
                                             const Where& where, bool allow_context,
                                             bool default_root = true) {
  auto it = obj.find(field);
  if (it == obj.end()) {
    if (!default_root) return std::optional<JsonPath>();
    return std::optional<JsonPath>(JsonPath{false, {}, "$"});
  }
  if (it->is_null()) return std::optional<JsonPath>();
  if (!it->is_string()) return where.Error(field, "must be a path string or null");
  auto p = ParseJsonPath(it->get<std::string>());
  if (!p.ok()) return where.Error(field, p.status().message());
  if (p->context && !allow_context) return where.Error(field, "cannot refer to the context ($$)");
  return std::optional<JsonPath>(std::move(p).value());
}

Result<JsonPath> RequiredPath(const json& obj, std::string_view field, const Where& where) {
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_string()) return where.Error(field, "must be a path string");
  auto p = ParseJsonPath(it->get<std::string>());
  if (!p.ok()) return where.Error(field, p.status().message());
  return std::move(p).value();
}

Result<std::string> OptionalString(const json& obj, std::string_view field, const Where& where) {
  auto it = obj.find(field);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return where.Error(field, "must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> ErrorEquals(const json& obj, const Where& where,
                                             std::string_view field) {
  auto it = obj.find("ErrorEquals");
  if (it == obj.end() || !it->is_array() || it->empty()) {
    return where.Error(field, "ErrorEquals must be a non-empty array of error names");
  }
  std::vector<std::string> out;
  for (const json& e : *it) {
    if (!e.is_string() || e.get<std::string>().empty()) {
      return where.Error(field, "ErrorEquals must hold non-empty strings");
    }
    out.push_back(e.get<std::string>());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == kErrorAll && out.size() != 1) {
      return where.Error(field, "States.ALL must appear alone in its ErrorEquals");
    }
  }
  return out;
}

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

Result<State> ParseState(const std::string& name, const json& j,
                         const std::function<bool(std::string_view)>& resource_known) {
  Where where(name);
  if (!j.is_object()) return where.Error("", "a state must be an object");
  State s;
  s.name = name;
  auto type_it = j.find("Type");
  if (type_it == j.end() || !type_it->is_string()) {
    return where.Error("Type", "missing (" + kStateTypeNames.Joined("|") + ")");
  }
  std::string type = type_it->get<std::string>();
  std::optional<StateType> known = kStateTypeNames.Find(type);
  if (!known) {
    return where.Error("Type", "unknown state type '" + type +
                                   "' (supported: " + kStateTypeNames.Joined(", ") + ")");
  }
  s.type = *known;
  ASSIGN_OR_RETURN(s.comment, OptionalString(j, "Comment", where));

  // Which fields each type may have.
  static const std::set<std::string, std::less<>> kCommon = {"Type", "Comment", "InputPath",
                                                             "OutputPath"};
  std::set<std::string, std::less<>> allowed = kCommon;
  auto allow = [&](std::initializer_list<const char*> fields) {
    for (const char* f : fields) allowed.insert(f);
  };
  switch (s.type) {
    case StateType::kTask:
      allow({"Next", "End", "Resource", "Parameters", "ResultPath", "TimeoutSeconds", "Retry",
             "Catch"});
      break;
    case StateType::kPass:
      allow({"Next", "End", "Parameters", "ResultPath", "Result"});
      break;
    case StateType::kWait:
      allow({"Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"});
      break;
    case StateType::kChoice:
      allow({"Choices", "Default"});
      break;
    case StateType::kSucceed:
      break;
    case StateType::kFail:
      allowed = {"Type", "Comment", "Error", "Cause"};
      break;
  }
  for (const auto& [field, value] : j.items()) {
    (void)value;
    if (!allowed.contains(field)) {
      return where.Error(field, "not supported in a " + type + " state");
    }
  }

  if (s.type != StateType::kFail) {
    ASSIGN_OR_RETURN(s.input_path, OptionalPath(j, "InputPath", where, true));
    ASSIGN_OR_RETURN(s.output_path, OptionalPath(j, "OutputPath", where, true));
  }
  if (s.type == StateType::kTask || s.type == StateType::kPass) {
    ASSIGN_OR_RETURN(s.result_path, OptionalPath(j, "ResultPath", where, false));
    if (auto it = j.find("Parameters"); it != j.end()) {
      if (Status st = ValidateTemplate(*it); !st.ok()) {
        return where.Error("Parameters", st.message());
      }
      s.parameters = *it;
    }
  }
  if (s.type == StateType::kTask || s.type == StateType::kPass || s.type == StateType::kWait) {
    auto next = j.find("Next");
    auto end = j.find("End");
    bool is_end = end != j.end() && end->is_boolean() && end->get<bool>();
    if (end != j.end() && !end->is_boolean()) return where.Error("End", "must be true or false");
    if (next != j.end() && !next->is_string()) return where.Error("Next", "must be a state name");
    if (next != j.end() && is_end) {
      return where.Error("Next", "a state can't have both Next and End");
    }
    if (next == j.end() && !is_end) {
      return where.Error("Next", "missing: a " + type + " state needs \"Next\" or \"End\": true");
    }
    s.end = is_end;
    if (next != j.end()) s.next = next->get<std::string>();
  }

  switch (s.type) {
    case StateType::kTask: {
      auto res = j.find("Resource");
      if (res == j.end() || !res->is_string() || res->get<std::string>().empty()) {
        return where.Error("Resource", "missing: a Task needs a \"Resource\" name");
      }
      s.resource = res->get<std::string>();
      if (resource_known && !resource_known(s.resource)) {
        return where.Error("Resource", "no task handler registered as '" + s.resource + "'");
      }
      if (auto it = j.find("TimeoutSeconds"); it != j.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 31536000) {
          return where.Error("TimeoutSeconds", "must be a positive integer of seconds");
        }
        s.timeout_seconds = it->get<int>();
      }
      if (auto it = j.find("Retry"); it != j.end()) {
        if (!it->is_array()) return where.Error("Retry", "must be an array of retriers");
        for (size_t i = 0; i < it->size(); ++i) {
          const json& r = (*it)[i];
          std::string f = "Retry[" + std::to_string(i) + "]";
          if (!r.is_object()) return where.Error(f, "must be an object");
          for (const auto& [k, v] : r.items()) {
            (void)v;
            if (k != "ErrorEquals" && k != "IntervalSeconds" && k != "MaxAttempts" &&
                k != "BackoffRate") {
              std::string field = f;
              field += ".";
              field += k;
              return where.Error(field, "not supported in a retrier");
            }
          }
          Retrier retrier;
          ASSIGN_OR_RETURN(retrier.error_equals, ErrorEquals(r, where, f));
          if (retrier.error_equals.front() == kErrorAll && i + 1 != it->size()) {
            return where.Error(f, "a States.ALL retrier must be the last one");
          }
          if (auto v = r.find("IntervalSeconds"); v != r.end()) {
            if (!v->is_number_integer() || v->get<int64_t>() < 1) {
              return where.Error(f + ".IntervalSeconds", "must be a positive integer");
            }
            retrier.interval_seconds = v->get<double>();
          }
          if (auto v = r.find("MaxAttempts"); v != r.end()) {
            if (!v->is_number_integer() || v->get<int64_t>() < 0 || v->get<int64_t>() > 1000) {
              return where.Error(f + ".MaxAttempts", "must be an integer in [0, 1000]");
            }
            retrier.max_attempts = v->get<int>();
          }
          if (auto v = r.find("BackoffRate"); v != r.end()) {
            if (!v->is_number() || v->get<double>() < 1.0) {
              return where.Error(f + ".BackoffRate", "must be a number >= 1.0");
            }
            retrier.backoff_rate = v->get<double>();
          }
          s.retry.push_back(std::move(retrier));
        }
      }
      if (auto it = j.find("Catch"); it != j.end()) {
        if (!it->is_array()) return where.Error("Catch", "must be an array of catchers");
        for (size_t i = 0; i < it->size(); ++i) {
          const json& c = (*it)[i];
          std::string f = "Catch[" + std::to_string(i) + "]";
          if (!c.is_object()) return where.Error(f, "must be an object");
          for (const auto& [k, v] : c.items()) {
            (void)v;
            if (k != "ErrorEquals" && k != "Next" && k != "ResultPath") {
              std::string field = f;
              field += ".";
              field += k;
              return where.Error(field, "not supported in a catcher");
            }
          }
          Catcher catcher;
          ASSIGN_OR_RETURN(catcher.error_equals, ErrorEquals(c, where, f));
          if (catcher.error_equals.front() == kErrorAll && i + 1 != it->size()) {
            return where.Error(f, "a States.ALL catcher must be the last one");
          }
          auto next = c.find("Next");
          if (next == c.end() || !next->is_string()) {
            return where.Error(f + ".Next", "missing: a catcher needs \"Next\"");
          }
          catcher.next = next->get<std::string>();
          auto rp = OptionalPath(c, "ResultPath", where, false);
          if (!rp.ok()) return where.Error(f + ".ResultPath", rp.status().message());
          catcher.result_path = std::move(rp).value();
          s.catches.push_back(std::move(catcher));
        }
      }
      break;
    }
    case StateType::kPass:
      if (auto it = j.find("Result"); it != j.end()) s.result = *it;
      break;
    case StateType::kWait: {
      int count = 0;
      if (auto it = j.find("Seconds"); it != j.end()) {
        if (!it->is_number() || it->get<double>() < 0) {
          return where.Error("Seconds", "must be a non-negative number");
        }
        s.seconds = it->get<double>();
        ++count;
      }
      if (j.contains("SecondsPath")) {
        ASSIGN_OR_RETURN(s.seconds_path, RequiredPath(j, "SecondsPath", where));
        ++count;
      }
      if (auto it = j.find("Timestamp"); it != j.end()) {
        if (!it->is_string() || !ParseRfc3339(it->get<std::string>()).ok()) {
          return where.Error("Timestamp", "must be an RFC 3339 timestamp");
        }
        s.timestamp = it->get<std::string>();
        ++count;
      }
      if (j.contains("TimestampPath")) {
        ASSIGN_OR_RETURN(s.timestamp_path, RequiredPath(j, "TimestampPath", where));
        ++count;
      }
      if (count != 1) {
        return where.Error("Seconds",
                           "a Wait needs exactly one of Seconds, SecondsPath, "
                           "Timestamp, TimestampPath");
      }
      break;
    }
    case StateType::kChoice: {
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
      break;
    }
    case StateType::kFail: {
      ASSIGN_OR_RETURN(s.error, OptionalString(j, "Error", where));
      ASSIGN_OR_RETURN(s.cause, OptionalString(j, "Cause", where));
      break;
    }
    case StateType::kSucceed:
      break;
  }
  return s;
}

// Every state a state may go to next, with the field naming it.
std::vector<std::pair<std::string, std::string>> Successors(const State& s) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!s.next.empty()) out.emplace_back(s.next, "Next");
  for (size_t i = 0; i < s.catches.size(); ++i) {
    out.emplace_back(s.catches[i].next, "Catch[" + std::to_string(i) + "].Next");
  }
  for (size_t i = 0; i < s.choices.size(); ++i) {
    out.emplace_back(s.choices[i].next, "Choices[" + std::to_string(i) + "].Next");
  }
  if (!s.default_next.empty()) out.emplace_back(s.default_next, "Default");
  return out;
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

const State* Definition::Find(std::string_view name) const {
  auto it = states.find(name);
  return it == states.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<const Definition>> ParseDefinition(
    const json& source, const std::function<bool(std::string_view)>& resource_known) {
  Where top("");
  if (!source.is_object()) return InvalidArgumentError("a definition must be a JSON object");
  for (const auto& [k, v] : source.items()) {
    (void)v;
    if (k != "StartAt" && k != "States" && k != "Comment" && k != "Version") {
      return top.Error(k, "not supported at the top level");
    }
  }
  auto def = std::make_shared<Definition>();
  def->source = source;
  ASSIGN_OR_RETURN(def->comment, OptionalString(source, "Comment", top));
  auto start = source.find("StartAt");
  if (start == source.end() || !start->is_string()) {
    return top.Error("StartAt", "missing: the name of the first state");
  }
  def->start_at = start->get<std::string>();
  auto states = source.find("States");
  if (states == source.end() || !states->is_object() || states->empty()) {
    return top.Error("States", "missing: an object of named states");
  }
  for (const auto& [name, j] : states->items()) {
    if (name.empty() || name.size() > 80) {
      return top.Error("States", "state names must have 1 to 80 characters");
    }
    ASSIGN_OR_RETURN(State s, ParseState(name, j, resource_known));
    def->states.emplace(name, std::move(s));
  }
  if (def->Find(def->start_at) == nullptr) {
    return top.Error("StartAt", "no state named '" + def->start_at + "'");
  }
  for (const auto& [name, s] : def->states) {
    for (const auto& [target, field] : Successors(s)) {
      if (def->Find(target) == nullptr) {
        return Where(name).Error(field, "no state named '" + target + "'");
      }
    }
  }
  // Reachability from StartAt.
  std::set<std::string> seen = {def->start_at};
  std::vector<std::string> todo = {def->start_at};
  while (!todo.empty()) {
    std::string cur = todo.back();
    todo.pop_back();
    for (const auto& [target, field] : Successors(*def->Find(cur))) {
      (void)field;
      if (seen.insert(target).second) todo.push_back(target);
    }
  }
  for (const auto& [name, s] : def->states) {
    (void)s;
    if (!seen.contains(name)) {
      return Where(name).Error(
          "Type", "unreachable: no state leads here from StartAt '" + def->start_at + "'");
    }
  }
  return std::shared_ptr<const Definition>(std::move(def));
}

Result<std::shared_ptr<const Definition>> ParseDefinition(
    std::string_view text, const std::function<bool(std::string_view)>& resource_known) {
  json source = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (source.is_discarded()) return InvalidArgumentError("definition is not valid JSON");
  return ParseDefinition(source, resource_known);
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

bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error) {
  for (const std::string& e : error_equals) {
    if (e == kErrorAll || e == error) return true;
    if (e == kErrorTaskFailed && error != kErrorTimeout && error != kErrorRuntime) return true;
  }
  return false;
}

}  // namespace loupe::workflow
