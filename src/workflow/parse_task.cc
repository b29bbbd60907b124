// The Task state's own fields: Resource, TimeoutSeconds, and its Retry and Catch lists.
#include <string>
#include <utility>
#include <vector>

#include "workflow/definition_fields.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;

// The entries of a Retry or Catch list (`what`: "retrier" / "catcher"): each an object with
// only `allowed` fields and a valid ErrorEquals, States.ALL only in the last entry;
// `parse_rest(entry, field, out)` reads the other fields.
template <typename Handler, typename ParseRest>
Result<std::vector<Handler>> ParseErrorHandlers(const json& list, const std::string& name,
                                                std::string_view what,
                                                std::initializer_list<std::string_view> allowed,
                                                const Where& where, const ParseRest& parse_rest) {
  if (!list.is_array()) return where.Error(name, "must be an array of " + std::string(what) + "s");
  std::vector<Handler> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    std::string field = name + "[" + std::to_string(i) + "]";
    if (!entry.is_object()) return where.Error(field, "must be an object");
    RETURN_IF_ERROR(OnlyFields(entry, where, field, allowed, what));
    Handler handler;
    ASSIGN_OR_RETURN(handler.error_equals, ErrorEquals(entry, where, field));
    if (handler.error_equals.front() == kErrorAll && i + 1 != list.size()) {
      return where.Error(field, "a States.ALL " + std::string(what) + " must be the last one");
    }
    RETURN_IF_ERROR(parse_rest(entry, field, handler));
    out.push_back(std::move(handler));
  }
  return out;
}

Status ParseRetrierRest(const json& r, const Where& where, const std::string& f, Retrier& retrier) {
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
  return Status::Ok();
}

Status ParseCatcherRest(const json& c, const Where& where, const std::string& f, Catcher& catcher) {
  auto next = c.find("Next");
  if (next == c.end() || !next->is_string()) {
    return where.Error(f + ".Next", "missing: a catcher needs \"Next\"");
  }
  catcher.next = next->get<std::string>();
  auto rp = OptionalPath(c, "ResultPath", where, false);
  if (!rp.ok()) return where.Error(f + ".ResultPath", rp.status().message());
  catcher.result_path = std::move(rp).value();
  return Status::Ok();
}

}  // namespace

Status ParseTaskFields(const json& j, const Where& where, const ResourceKnown& resource_known,
                       State& s) {
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
    ASSIGN_OR_RETURN(s.retry,
                     ParseErrorHandlers<Retrier>(
                         *it, "Retry", "retrier",
                         {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate"}, where,
                         [&](const json& r, const std::string& f, Retrier& retrier) {
                           return ParseRetrierRest(r, where, f, retrier);
                         }));
  }
  if (auto it = j.find("Catch"); it != j.end()) {
    ASSIGN_OR_RETURN(s.catches,
                     ParseErrorHandlers<Catcher>(
                         *it, "Catch", "catcher", {"ErrorEquals", "Next", "ResultPath"}, where,
                         [&](const json& c, const std::string& f, Catcher& catcher) {
                           return ParseCatcherRest(c, where, f, catcher);
                         }));
  }
  return Status::Ok();
}

}  // namespace loupe::workflow
