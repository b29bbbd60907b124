#include "params/http/parameter_routes.h"

namespace loupe::params {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

json ParamJson(const ParamValue& v) {
  json out = {{"name", v.name},
              {"value", v.value},
              {"version", v.version},
              {"updated_at", FormatRfc3339(v.updated_at)},
              {"updated_by", v.updated_by}};
  if (const ParamSpec* spec = FindParamSpec(v.name)) {
    out["type"] = std::string(ParamTypeName(spec->type));
    if (spec->type == ParamType::kInteger || spec->type == ParamType::kNumber) {
      out["min"] = spec->min;
      out["max"] = spec->max;
    }
    out["default"] = json::parse(spec->default_json);
    out["unit"] = std::string(spec->unit);
    out["description"] = std::string(spec->description);
    out["read_only"] = spec->system;
  }
  return out;
}

}  // namespace

void AddParameterRoutes(server::Router& router, ParameterStore& store) {
  ParameterStore* ps = &store;
  router.Add(
      {"GET", "/v1/parameters", Role::kOperator, "List every parameter.", [ps](const HttpRequest&) {
         json list = json::array();
         for (const auto& v : ps->List()) list.push_back(ParamJson(v));
         return HttpResponse::Json(200, {{"parameters", list}});
       }});
  router.Add({"GET", "/v1/parameters/([^/]+)", Role::kOperator, "Read one parameter.",
              [ps](const HttpRequest& req) {
                auto v = ps->Get(req.path_params[0]);
                if (!v.ok()) return HttpResponse::Error(v.status());
                return HttpResponse::Json(200, ParamJson(*v));
              }});
  router.Add({"PUT", "/v1/parameters/([^/]+)", Role::kOperator,
              "Change a parameter: body {\"value\": <typed JSON>}.", [ps](const HttpRequest& req) {
                if (params::FindParamSpec(req.path_params[0]) == nullptr) {
                  return HttpResponse::Error(
                      NotFoundError("no parameter named '" + req.path_params[0] + "'"));
                }
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                if (!body->contains("value")) {
                  return HttpResponse::Error(
                      InvalidArgumentError("body must be {\"value\": <typed JSON>}"));
                }
                auto v = ps->Set(req.path_params[0], (*body)["value"], req.principal);
                if (!v.ok()) return HttpResponse::Error(v.status());
                return HttpResponse::Json(200, ParamJson(*v));
              }});
  router.Add(
      {"GET", "/v1/parameters/([^/]+)/history", Role::kOperator,
       "Versions of one parameter, newest first.", [ps](const HttpRequest& req) {
         auto h = ps->History(req.path_params[0]);
         if (!h.ok()) return HttpResponse::Error(h.status());
         json versions = json::array();
         for (const auto& v : *h) {
           versions.push_back({{"version", v.version},
                               {"old_value", v.old_value},
                               {"value", v.new_value},
                               {"updated_at", FormatRfc3339(v.updated_at)},
                               {"updated_by", v.updated_by}});
         }
         return HttpResponse::Json(200, {{"name", req.path_params[0]}, {"versions", versions}});
       }});
}

}  // namespace loupe::params
