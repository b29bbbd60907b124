#include "models/http/model_routes.h"

namespace loupe::models {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Router;

json ServingJson(const ServingInfo& s) {
  return {{"production", s.production},    {"in_flight", s.in_flight},
          {"units", s.pool.units},         {"retiring_units", s.pool.retiring_units},
          {"queued", s.pool.queued},       {"busy", s.pool.busy},
          {"completed", s.pool.completed}, {"rejected", s.pool.rejected}};
}

// The version JSON plus its live serving figures, if it has units.
json DescribeJson(const VersionInfo& v, ModelService& service) {
  json out = VersionJson(v);
  out["serving"] = nullptr;
  for (const ServingInfo& s : service.Serving()) {
    if (s.version == v.version) out["serving"] = ServingJson(s);
  }
  return out;
}

HttpResponse VersionResponse(ModelService& service, const VersionId& v, int status = 200) {
  auto info = service.registry().Get(v);
  if (!info.ok()) return HttpResponse::Error(info.status());
  return HttpResponse::Json(status, DescribeJson(*info, service));
}

// An optional string field of an optional JSON body.
Result<std::string> OptionalField(const HttpRequest& req, const char* name) {
  if (req.body.empty()) return std::string();
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  if (!body.contains(name) || body[name].is_null()) return std::string();
  if (!body[name].is_string()) {
    return InvalidArgumentError(std::string(name) + " must be a string");
  }
  return body[name].get<std::string>();
}

}  // namespace

json VersionJson(const VersionInfo& v) {
  return {{"version", v.version.value()},
          {"status", std::string(VersionStatusName(v.status))},
          {"status_message", v.status_message},
          {"created_at", FormatRfc3339(v.created_at)},
          {"updated_at", FormatRfc3339(v.updated_at)},
          {"artifact_prefix", v.artifact_prefix},
          {"summary", v.summary}};
}

void AddModelRoutes(Router& router, ModelService& service) {
  ModelService* svc = &service;
  router.Add(
      {"GET", "/v1/models", Role::kOperator,
       "Model versions, oldest first, with status and serving figures.", [svc](const HttpRequest&) {
         auto list = svc->registry().List();
         if (!list.ok()) return HttpResponse::Error(list.status());
         json versions = json::array();
         for (const auto& v : *list) versions.push_back(DescribeJson(v, *svc));
         auto prod = svc->Production();
         return HttpResponse::Json(
             200,
             {{"versions", versions}, {"production", prod ? json(prod->value()) : json(nullptr)}});
       }});
  router.Add({"POST", "/v1/models", Role::kOperator,
              "Import an artifact made by `loupe train` as a new TRAINING_COMPLETED version: "
              "body {\"source_prefix\": objects holding model.json etc., \"version\"?: name}.",
              [svc](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                if (!body->contains("source_prefix") || !(*body)["source_prefix"].is_string()) {
                  return HttpResponse::Error(InvalidArgumentError(
                      "body must be {\"source_prefix\": \"uploads/...\", \"version\"?: name}"));
                }
                std::string name;
                if (body->contains("version") && (*body)["version"].is_string()) {
                  name = (*body)["version"].get<std::string>();
                }
                auto v = svc->registry().ImportFromStore(
                    (*body)["source_prefix"].get<std::string>(), name, req.principal);
                if (!v.ok()) return HttpResponse::Error(v.status());
                return HttpResponse::Json(201, DescribeJson(*v, *svc));
              }});
  router.Add({"GET", "/v1/models/([^/]+)", Role::kOperator,
              "One model version with its transition history and serving figures.",
              [svc](const HttpRequest& req) {
                VersionId id(req.path_params[0]);
                auto v = svc->registry().Get(id);
                if (!v.ok()) return HttpResponse::Error(v.status());
                auto history = svc->registry().History(id);
                if (!history.ok()) return HttpResponse::Error(history.status());
                json out = DescribeJson(*v, *svc);
                json h = json::array();
                for (const auto& t : *history) {
                  h.push_back({{"from", t.from ? json(std::string(VersionStatusName(*t.from)))
                                               : json(nullptr)},
                               {"to", std::string(VersionStatusName(t.to))},
                               {"at", FormatRfc3339(t.at)},
                               {"reason", t.reason},
                               {"actor", t.actor}});
                }
                out["history"] = h;
                return HttpResponse::Json(200, out);
              }});
  router.Add({"POST", "/v1/models/([^/]+)/start", Role::kOperator,
              "Start a version: load it into Minimum-Inference-Units units, smoke-test, RUNNING.",
              [svc](const HttpRequest& req) {
                VersionId id(req.path_params[0]);
                auto v = svc->Start(id, req.principal);
                if (!v.ok()) return HttpResponse::Error(v.status());
                return VersionResponse(*svc, id);
              }});
  router.Add({"POST", "/v1/models/([^/]+)/stop", Role::kOperator,
              "Stop a running version after its in-flight requests finish.",
              [svc](const HttpRequest& req) {
                VersionId id(req.path_params[0]);
                auto v = svc->Stop(id, req.principal);
                if (!v.ok()) return HttpResponse::Error(v.status());
                return VersionResponse(*svc, id);
              }});
  router.Add({"POST", "/v1/models/([^/]+)/deploy", Role::kOperator,
              "Blue/green: start and smoke-test the version, switch production to it, drain "
              "and stop the previous one. On failure the previous version keeps serving.",
              [svc](const HttpRequest& req) {
                VersionId id(req.path_params[0]);
                if (Status s = svc->Deploy(id, req.principal); !s.ok()) {
                  return HttpResponse::Error(s);
                }
                return VersionResponse(*svc, id);
              }});
  router.Add({"GET", "/v1/endpoints/production", Role::kOperator,
              "The production alias: its version and the history of switches.",
              [svc](const HttpRequest&) {
                auto history = svc->registry().AliasHistory(kProductionAlias, 20);
                if (!history.ok()) return HttpResponse::Error(history.status());
                json h = json::array();
                auto opt = [](const std::optional<VersionId>& v) {
                  return v ? json(v->value()) : json(nullptr);
                };
                for (const auto& r : *history) {
                  h.push_back({{"from", opt(r.old_version)},
                               {"to", opt(r.new_version)},
                               {"at", FormatRfc3339(r.at)},
                               {"reason", r.reason},
                               {"actor", r.actor}});
                }
                return HttpResponse::Json(200, {{"alias", std::string(kProductionAlias)},
                                                {"version", opt(svc->Production())},
                                                {"history", h}});
              }});
  router.Add({"POST", "/v1/endpoints/production/rollback", Role::kOperator,
              "Switch production back (blue/green) to body {\"version\"?: name}, by default the "
              "version it pointed at before the current one.",
              [svc](const HttpRequest& req) {
                auto name = OptionalField(req, "version");
                if (!name.ok()) return HttpResponse::Error(name.status());
                std::optional<VersionId> target;
                if (!name->empty()) target = VersionId(*name);
                auto to = svc->Rollback(target, req.principal);
                if (!to.ok()) return HttpResponse::Error(to.status());
                return VersionResponse(*svc, *to);
              }});
}

void AddModelEvaluationRoute(Router& router, ModelService& service, store::ObjectStore& store) {
  ModelService* svc = &service;
  store::ObjectStore* st = &store;
  router.Add({"GET", "/v1/models/([^/]+)/evaluation", Role::kOperator,
              "A version's evaluation of its test split (evaluation.json): per-label metrics, "
              "assumed thresholds, confusion matrix.",
              [svc, st](const HttpRequest& req) {
                VersionId id(req.path_params[0]);
                auto v = svc->registry().Get(id);
                if (!v.ok()) return HttpResponse::Error(v.status());
                auto text = st->Get(v->artifact_prefix + "evaluation.json");
                if (!text.ok()) {
                  if (text.status().code() != StatusCode::kNotFound) {
                    return HttpResponse::Error(text.status());
                  }
                  return HttpResponse::Error(
                      NotFoundError("model version " + id.value() + " has no evaluation (status " +
                                    std::string(VersionStatusName(v->status)) + ")"));
                }
                json body = json::parse(*text, nullptr, false);
                if (body.is_discarded() || !body.is_object()) {
                  return HttpResponse::Error(
                      DataLossError("evaluation.json of " + id.value() + " is not a JSON object"));
                }
                body["Version"] = id.value();
                return HttpResponse::Json(200, body);
              }});
}

}  // namespace loupe::models
