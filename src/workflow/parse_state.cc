// ParseState: a state's Type, the fields its type allows, the fields several types share
// (InputPath, OutputPath, ResultPath, Parameters, Next/End), then its type's own fields. The
// small types' own fields (Pass, Wait, Fail) are here too; Task's are in parse_task.cc,
// Choice's in choice.cc.
#include <set>
#include <string>
#include <utility>

#include "core/clock.h"
#include "workflow/definition_fields.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

// The fields a state of `type` may have.
std::set<std::string, std::less<>> AllowedFields(StateType type) {
  std::set<std::string, std::less<>> allowed = {"Type", "Comment", "InputPath", "OutputPath"};
  auto allow = [&](std::initializer_list<const char*> fields) {
    for (const char* f : fields) allowed.insert(f);
  };
  switch (type) {
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
  return allowed;
}

// Next or End: exactly one, for the types that go on (Task, Pass, Wait).
Status ParseTransition(const json& j, const Where& where, const std::string& type, State& s) {
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
  return Status::Ok();
}

}  // namespace

Result<State> ParseState(const std::string& name, const json& j,
                         const ResourceKnown& resource_known) {
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

  std::set<std::string, std::less<>> allowed = AllowedFields(s.type);
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
    RETURN_IF_ERROR(ParseTransition(j, where, type, s));
  }

  switch (s.type) {
    case StateType::kTask:
      RETURN_IF_ERROR(ParseTaskFields(j, where, resource_known, s));
      break;
    case StateType::kPass:
      RETURN_IF_ERROR(ParsePassFields(j, where, s));
      break;
    case StateType::kWait:
      RETURN_IF_ERROR(ParseWaitFields(j, where, s));
      break;
    case StateType::kChoice:
      RETURN_IF_ERROR(ParseChoiceFields(j, where, s));
      break;
    case StateType::kFail:
      RETURN_IF_ERROR(ParseFailFields(j, where, s));
      break;
    case StateType::kSucceed:
      break;
  }
  return s;
}

Status ParsePassFields(const json& j, const Where& /*where*/, State& s) {
  if (auto it = j.find("Result"); it != j.end()) s.result = *it;
  return Status::Ok();
}

Status ParseWaitFields(const json& j, const Where& where, State& s) {
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
                       "a Wait needs exactly one of Seconds, SecondsPath, Timestamp, "
                       "TimestampPath");
  }
  return Status::Ok();
}

Status ParseFailFields(const json& j, const Where& where, State& s) {
  ASSIGN_OR_RETURN(s.error, OptionalString(j, "Error", where));
  ASSIGN_OR_RETURN(s.cause, OptionalString(j, "Cause", where));
  return Status::Ok();
}

}  // namespace loupe::workflow
