#include "workflow/definition_fields.h"

#include <algorithm>
#include <utility>

namespace loupe::workflow {

using nlohmann::json;

Status Where::Error(std::string_view field, const std::string& why) const {
  std::string msg = state_.empty() ? "" : "state '" + state_ + "': ";
  return InvalidArgumentError(msg + "field '" + std::string(field) + "': " + why);
}

Result<std::optional<JsonPath>> OptionalPath(const json& obj, std::string_view field,
                                             const Where& where, bool allow_context,
                                             bool default_root) {
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
  if (out.size() != 1 && std::find(out.begin(), out.end(), kErrorAll) != out.end()) {
    return where.Error(field, "States.ALL must appear alone in its ErrorEquals");
  }
  return out;
}

Status OnlyFields(const json& obj, const Where& where, const std::string& field,
                  std::initializer_list<std::string_view> allowed, std::string_view what) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string path = field;
      path.append(".").append(key);
      std::string message = "not supported in a ";
      message.append(what);
      return where.Error(path, message);
    }
  }
  return Status::Ok();
}

}  // namespace loupe::workflow
