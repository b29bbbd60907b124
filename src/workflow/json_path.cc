#include "workflow/json_path.h"

#include <cctype>

namespace loupe::workflow {
namespace {

using nlohmann::json;

Status PathError(std::string_view text, const std::string& why) {
  return InvalidArgumentError("bad path '" + std::string(text) + "': " + why);
}

bool IsFieldChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == ':' ||
         c == '@' || static_cast<unsigned char>(c) >= 0x80;
}

std::string StepText(const std::variant<std::string, size_t>& step) {
  if (const auto* f = std::get_if<std::string>(&step)) return "." + *f;
  return "[" + std::to_string(std::get<size_t>(step)) + "]";
}

// Walks `path` from `root`; nullptr and the failing prefix when a step is missing.
const json* Walk(const JsonPath& path, const json& root, std::string* missing) {
  const json* cur = &root;
  std::string prefix = path.context ? "$$" : "$";
  for (const auto& step : path.steps) {
    prefix += StepText(step);
    if (const auto* field = std::get_if<std::string>(&step)) {
      if (!cur->is_object()) {
        if (missing) *missing = prefix;
        return nullptr;
      }
      auto it = cur->find(*field);
      if (it == cur->end()) {
        if (missing) *missing = prefix;
        return nullptr;
      }
      cur = &*it;
    } else {
      size_t index = std::get<size_t>(step);
      if (!cur->is_array() || index >= cur->size()) {
        if (missing) *missing = prefix;
        return nullptr;
      }
      cur = &(*cur)[index];
    }
  }
  return cur;
}

}  // namespace

Result<JsonPath> ParseJsonPath(std::string_view text) {
  JsonPath path;
  path.text = std::string(text);
  size_t i = 0;
  if (text.starts_with("$$")) {
    path.context = true;
    i = 2;
  } else if (text.starts_with("$")) {
    i = 1;
  } else {
    return PathError(text, "must start with '$'");
  }
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      size_t start = ++i;
      while (i < text.size() && IsFieldChar(text[i])) ++i;
      if (i == start) return PathError(text, "empty field name at offset " + std::to_string(start));
      path.steps.emplace_back(std::string(text.substr(start, i - start)));
    } else if (c == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        char quote = text[i++];
        size_t end = text.find(quote, i);
        if (end == std::string_view::npos || end + 1 >= text.size() || text[end + 1] != ']') {
          return PathError(text, "unterminated quoted field");
        }
        path.steps.emplace_back(std::string(text.substr(i, end - i)));
        i = end + 2;
      } else {
        size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
        if (i == start || i >= text.size() || text[i] != ']') {
          return PathError(text, "array index must be a non-negative integer in [...]");
        }
        path.steps.emplace_back(
            static_cast<size_t>(std::stoull(std::string(text.substr(start, i - start)))));
        ++i;
      }
    } else {
      return PathError(text, std::string("unexpected '") + c + "' at offset " + std::to_string(i));
    }
  }
  return path;
}

Result<json> SelectPath(const JsonPath& path, const json& input, const json& context) {
  std::string missing;
  const json* v = Walk(path, path.context ? context : input, &missing);
  if (v == nullptr) {
    return InvalidArgumentError("path '" + path.text + "' found nothing at '" + missing + "'");
  }
  return *v;
}

bool PathExists(const JsonPath& path, const json& input, const json& context) {
  return Walk(path, path.context ? context : input, nullptr) != nullptr;
}

Result<json> InsertAtPath(const JsonPath& path, const json& input, json result) {
  if (path.steps.empty()) return result;
  json out = input;
  json* cur = &out;
  std::string prefix = "$";
  for (size_t s = 0; s < path.steps.size(); ++s) {
    const auto& step = path.steps[s];
    prefix += StepText(step);
    bool last = s + 1 == path.steps.size();
    if (const auto* field = std::get_if<std::string>(&step)) {
      if (cur->is_null()) *cur = json::object();
      if (!cur->is_object()) {
        return InvalidArgumentError("ResultPath '" + path.text + "' crosses a non-object at '" +
                                    prefix + "'");
      }
      json& next = (*cur)[*field];
      if (last) {
        next = std::move(result);
        return out;
      }
      cur = &next;
    } else {
      size_t index = std::get<size_t>(step);
      if (!cur->is_array() || index >= cur->size()) {
        return InvalidArgumentError("ResultPath '" + path.text + "' has no array element at '" +
                                    prefix + "'");
      }
      json& next = (*cur)[index];
      if (last) {
        next = std::move(result);
        return out;
      }
      cur = &next;
    }
  }
  return out;
}

Result<json> ApplyTemplate(const json& tmpl, const json& input, const json& context) {
  if (tmpl.is_array()) {
    json out = json::array();
    for (const json& item : tmpl) {
      ASSIGN_OR_RETURN(json v, ApplyTemplate(item, input, context));
      out.push_back(std::move(v));
    }
    return out;
  }
  if (!tmpl.is_object()) return tmpl;
  json out = json::object();
  for (const auto& [key, value] : tmpl.items()) {
    if (key.size() > 2 && key.ends_with(".$")) {
      if (!value.is_string()) {
        return InvalidArgumentError("template key '" + key + "' must hold a path string");
      }
      ASSIGN_OR_RETURN(JsonPath path, ParseJsonPath(value.get<std::string>()));
      ASSIGN_OR_RETURN(json v, SelectPath(path, input, context));
      out[key.substr(0, key.size() - 2)] = std::move(v);
    } else {
      ASSIGN_OR_RETURN(json v, ApplyTemplate(value, input, context));
      out[key] = std::move(v);
    }
  }
  return out;
}

Status ValidateTemplate(const json& tmpl) {
  if (tmpl.is_array()) {
    for (const json& item : tmpl) RETURN_IF_ERROR(ValidateTemplate(item));
    return Status::Ok();
  }
  if (!tmpl.is_object()) return Status::Ok();
  for (const auto& [key, value] : tmpl.items()) {
    if (key.size() > 2 && key.ends_with(".$")) {
      if (!value.is_string()) {
        return InvalidArgumentError("key '" + key + "' must hold a path string");
      }
      auto p = ParseJsonPath(value.get<std::string>());
      if (!p.ok()) return p.status().WithContext("key '" + key + "'");
    } else {
      RETURN_IF_ERROR(ValidateTemplate(value));
    }
  }
  return Status::Ok();
}

}  // namespace loupe::workflow
