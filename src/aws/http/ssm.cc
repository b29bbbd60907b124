// SSM Parameter Store over loupe's operator parameters (params/parameter_store.h): the seven
// parameters (and the read-only System-State) under the names the replaced solution uses,
// values as SSM strings, loupe's validation behind PutParameter.

#include <charconv>
#include <cmath>

#include "aws/http/handlers.h"
#include "params/parameter_store.h"

namespace loupe::aws {
namespace {

using nlohmann::json;
using params::ParamSpec;
using params::ParamType;
using params::ParamValue;

std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// An SSM string as the parameter's typed value; ParameterPatternMismatchException naming what
// the parameter allows otherwise.
Result<json> TypedValue(const ParamSpec& spec, const std::string& text) {
  auto mismatch = [&](const std::string& why) {
    return InvalidArgumentError("ParameterPatternMismatchException: " + std::string(spec.name) +
                                " " + why + "; got '" + text + "'");
  };
  json value;
  switch (spec.type) {
    case ParamType::kBool: {
      std::string l = Lower(text);
      if (l != "true" && l != "false") return mismatch("must be true or false");
      value = l == "true";
      break;
    }
    case ParamType::kInteger: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        return mismatch("must be an integer");
      }
      value = v;
      break;
    }
    case ParamType::kNumber: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
        return mismatch("must be a number");
      }
      value = v;
      break;
    }
    case ParamType::kJson:
      value = json::parse(text, nullptr, false);
      if (value.is_discarded()) return mismatch("must be JSON");
      break;
  }
  if (Status s = params::ValidateValue(spec, value); !s.ok()) return mismatch(s.message());
  return value;
}

std::string ParamArn(const AwsOptions& o, std::string_view name) {
  return "arn:aws:ssm:" + o.region + ":" + o.account + ":parameter/" + std::string(name);
}

json ParameterJson(const AwsOptions& o, const ParamValue& p) {
  return {{"Name", p.name},
          {"Type", "String"},
          {"Value", ValueText(p.value)},
          {"Version", p.version},
          {"LastModifiedDate", EpochSeconds(p.updated_at)},
          {"ARN", ParamArn(o, p.name)},
          {"DataType", "text"}};
}

// SSM accepts names with a leading '/' in some forms; loupe's have none.
std::string NameOf(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

Result<ParamValue> Lookup(const params::ParameterStore& store, const std::string& name) {
  auto p = store.Get(NameOf(name));
  if (!p.ok() && p.status().code() == StatusCode::kNotFound) {
    return NotFoundError("ParameterNotFound: loupe has no parameter named '" + name + "'");
  }
  return p;
}

// Whether `name` passes DescribeParameters' filters (Name with Equals or BeginsWith).
Result<bool> Passes(const json& body, const std::string& name) {
  for (const char* field : {"ParameterFilters", "Filters"}) {
    if (!body.contains(field)) continue;
    if (!body[field].is_array()) {
      return InvalidArgumentError(std::string(field) + " must be a list");
    }
    for (const json& f : body[field]) {
      if (!f.is_object() || (f.contains("Key") && !f["Key"].is_string()) ||
          (f.contains("Option") && !f["Option"].is_string()) ||
          (f.contains("Values") && !f["Values"].is_array())) {
        return InvalidArgumentError(std::string(field) +
                                    " must be a list of {Key, Option?, Values} objects");
      }
      std::string key = f.value("Key", "");
      if (key != "Name") {
        return InvalidArgumentError("InvalidFilterKey: loupe filters parameters by Name only");
      }
      std::string option = f.value("Option", "Equals");
      if (option != "Equals" && option != "BeginsWith") {
        return InvalidArgumentError("InvalidFilterOption: Name filters take Equals or BeginsWith");
      }
      bool any = false;
      for (const json& v : f.value("Values", json::array())) {
        if (!v.is_string()) continue;
        std::string want = NameOf(v.get<std::string>());
        any = any || (option == "Equals" ? name == want : name.rfind(want, 0) == 0);
      }
      if (!any) return false;
    }
  }
  return true;
}

Result<json> Handle(std::string_view action, const server::HttpRequest& req,
                    params::ParameterStore& store, const AwsOptions& o) {
  RETURN_IF_ERROR(Need(req, Role::kOperator, action));
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  if (action == "GetParameter") {
    ASSIGN_OR_RETURN(std::string name, NeedString(body, "Name"));
    ASSIGN_OR_RETURN(ParamValue p, Lookup(store, name));
    return json{{"Parameter", ParameterJson(o, p)}};
  }
  if (action == "GetParameters") {
    if (!body.contains("Names") || !body["Names"].is_array() || body["Names"].empty() ||
        body["Names"].size() > 10) {
      return InvalidArgumentError("Names must be a list of 1..10 parameter names");
    }
    json found = json::array();
    json invalid = json::array();
    for (const json& n : body["Names"]) {
      if (!n.is_string()) return InvalidArgumentError("Names must be strings");
      auto p = Lookup(store, n.get<std::string>());
      if (p.ok()) {
        found.push_back(ParameterJson(o, *p));
      } else if (p.status().code() == StatusCode::kNotFound) {
        invalid.push_back(n);
      } else {
        return p.status();
      }
    }
    return json{{"Parameters", found}, {"InvalidParameters", invalid}};
  }
  if (action == "PutParameter") {
    ASSIGN_OR_RETURN(std::string name, NeedString(body, "Name"));
    ASSIGN_OR_RETURN(std::string value, NeedString(body, "Value"));
    ASSIGN_OR_RETURN(std::string type, OptString(body, "Type"));
    if (!type.empty() && type != "String") {
      return InvalidArgumentError(
          "UnsupportedParameterType: loupe's parameters are of type String");
    }
    bool overwrite = body.contains("Overwrite") && body["Overwrite"].is_boolean() &&
                     body["Overwrite"].get<bool>();
    const ParamSpec* spec = params::FindParamSpec(NameOf(name));
    if (spec == nullptr) {
      return InvalidArgumentError("ValidationException: loupe has no parameter named '" + name +
                                  "' and does not create new ones");
    }
    if (spec->system) {
      return PermissionDeniedError("AccessDeniedException: " + name +
                                   " is written by loupe itself and is read-only");
    }
    if (!overwrite) {
      return AlreadyExistsError("ParameterAlreadyExists: " + name +
                                " exists; pass Overwrite=true (--overwrite) to change it");
    }
    ASSIGN_OR_RETURN(json typed, TypedValue(*spec, value));
    ASSIGN_OR_RETURN(ParamValue p, store.Set(spec->name, typed, req.principal));
    return json{{"Version", p.version}, {"Tier", "Standard"}};
  }
  if (action == "GetParameterHistory") {
    ASSIGN_OR_RETURN(std::string name, NeedString(body, "Name"));
    ASSIGN_OR_RETURN(ParamValue current, Lookup(store, name));
    ASSIGN_OR_RETURN(auto history, store.History(current.name));
    ASSIGN_OR_RETURN(int64_t max, OptInt(body, "MaxResults", 50, 1, 50));
    ASSIGN_OR_RETURN(std::string token, OptString(body, "NextToken"));
    // SSM lists the oldest version first.
    return Page(history.size(), token, max, "Parameters", "InvalidNextToken", [&](size_t i) {
      const auto& h = history[history.size() - 1 - i];
      return json{{"Name", current.name},
                  {"Type", "String"},
                  {"Value", ValueText(h.new_value)},
                  {"Version", h.version},
                  {"LastModifiedDate", EpochSeconds(h.updated_at)},
                  {"LastModifiedUser", h.updated_by},
                  {"DataType", "text"},
                  {"Tier", "Standard"}};
    });
  }
  if (action == "DescribeParameters") {
    ASSIGN_OR_RETURN(int64_t max, OptInt(body, "MaxResults", 50, 1, 50));
    ASSIGN_OR_RETURN(std::string token, OptString(body, "NextToken"));
    std::vector<json> matching;
    for (const ParamValue& p : store.List()) {
      ASSIGN_OR_RETURN(bool pass, Passes(body, p.name));
      if (!pass) continue;
      const ParamSpec* spec = params::FindParamSpec(p.name);
      matching.push_back({{"Name", p.name},
                          {"ARN", ParamArn(o, p.name)},
                          {"Type", "String"},
                          {"Version", p.version},
                          {"LastModifiedDate", EpochSeconds(p.updated_at)},
                          {"LastModifiedUser", p.updated_by},
                          {"Description", spec != nullptr ? std::string(spec->description) : ""},
                          {"DataType", "text"},
                          {"Tier", "Standard"}});
    }
    return Page(matching.size(), token, max, "Parameters", "InvalidNextToken",
                [&](size_t i) { return matching[i]; });
  }
  return InvalidArgumentError("InvalidAction: loupe's SSM does not implement " +
                              std::string(action) + " (see docs/aws-compatibility.md)");
}

}  // namespace

server::HttpResponse Ssm(std::string_view action, const server::HttpRequest& req,
                         const AwsBackends& b, const AwsOptions& o) {
  auto out = Handle(action, req, b.params, o);
  if (!out.ok()) return ErrorResponse(Service::kSsm, out.status());
  return JsonOk(Service::kSsm, *out);
}

}  // namespace loupe::aws
