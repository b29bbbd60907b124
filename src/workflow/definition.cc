#include "workflow/definition.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "workflow/definition_fields.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

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

bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error) {
  for (const std::string& e : error_equals) {
    if (e == kErrorAll || e == error) return true;
    if (e == kErrorTaskFailed && error != kErrorTimeout && error != kErrorRuntime) return true;
  }
  return false;
}

}  // namespace loupe::workflow
