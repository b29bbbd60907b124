#include "server/api_routes.h"

namespace loupe::server {
namespace {

using nlohmann::json;

// Where consumers may upload (a new object there triggers detection); DESIGN.md §4.
constexpr const char* kConsumerUploadPrefix = "images_for_detection/";

json ParamJson(const params::ParamValue& v) {
  json out = {{"name", v.name},
              {"value", v.value},
              {"version", v.version},
              {"updated_at", FormatRfc3339(v.updated_at)},
              {"updated_by", v.updated_by}};
  if (const params::ParamSpec* spec = params::FindParamSpec(v.name)) {
    out["type"] = std::string(params::ParamTypeName(spec->type));
    if (spec->type == params::ParamType::kInteger || spec->type == params::ParamType::kNumber) {
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

json ObjectJson(const store::ObjectInfo& info) {
  return {{"key", info.key},
          {"size", info.size},
          {"sha256", info.sha256},
          {"modified", FormatRfc3339(info.modified)}};
}

json EventJson(const events::Event& e) {
  return {{"id", e.id.value()},
          {"kind", std::string(events::EventKindName(e.kind))},
          {"payload", e.payload},
          {"time", FormatRfc3339(e.time)}};
}

}  // namespace

void AddHealthRoutes(Router& router, const ApiDeps& deps) {
  router.Add({"GET", "/healthz", Role::kPublic, "Liveness and database health.",
              [deps](const HttpRequest&) {
                Status s = deps.db->Read(
                    [](db::Transaction& tx) { return tx.Query("SELECT 1").status(); });
                if (!s.ok()) {
                  return HttpResponse::Error(UnavailableError("database: " + s.message()));
                }
                return HttpResponse::Json(200, {{"status", "ok"}, {"version", deps.version}});
              }});
  router.Add({"GET", "/metrics", Role::kOperator,
              "Prometheus metrics (text format; scrape with an operator token).",
              [deps](const HttpRequest&) {
                HttpResponse r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = deps.metrics_text ? deps.metrics_text() : "";
                return r;
              }});
}

void AddParameterRoutes(Router& router, const ApiDeps& deps) {
  params::ParameterStore* ps = deps.params;
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

void AddObjectRoutes(Router& router, const ApiDeps& deps) {
  store::ObjectStore* st = deps.store;
  router.Add({"PUT", "/v1/objects/(.+)", Role::kConsumer,
              "Store an object (body = bytes); consumers only under images_for_detection/.",
              [st](const HttpRequest& req) {
                if (req.role == Role::kConsumer &&
                    !req.path_params[0].starts_with(kConsumerUploadPrefix)) {
                  return HttpResponse::Error(
                      PermissionDeniedError(std::string("consumers may store objects only under ") +
                                            kConsumerUploadPrefix));
                }
                auto info = st->Put(req.path_params[0], req.body);
                if (!info.ok()) return HttpResponse::Error(info.status());
                return HttpResponse::Json(200, ObjectJson(*info));
              }});
  router.Add({"GET", "/v1/objects/(.+)", Role::kOperator, "Read an object's bytes.",
              [st](const HttpRequest& req) {
                const std::string& key = req.path_params[0];
                auto info = st->Head(key);
                if (!info.ok()) return HttpResponse::Error(info.status());
                HttpResponse r;
                r.content_type = ContentTypeForKey(key);
                r.headers = {{"ETag", "\"" + info->sha256 + "\""},
                             {"X-Loupe-Sha256", info->sha256},
                             {"X-Loupe-Size", std::to_string(info->size)},
                             {"Last-Modified-RFC3339", FormatRfc3339(info->modified)}};
                if (req.method == "HEAD") return r;
                auto bytes = st->Get(key);
                if (!bytes.ok()) return HttpResponse::Error(bytes.status());
                r.body = std::move(bytes).value();
                return r;
              }});
  router.Add({"HEAD", "/v1/objects/(.+)", Role::kOperator,
              "An object's metadata as headers (served by the GET route).", nullptr});
  router.Add({"DELETE", "/v1/objects/(.+)", Role::kOperator, "Delete an object.",
              [st](const HttpRequest& req) {
                Status s = st->Delete(req.path_params[0]);
                if (!s.ok()) return HttpResponse::Error(s);
                return HttpResponse::NoContent();
              }});
  router.Add(
      {"GET", "/v1/objects", Role::kOperator,
       "List objects: ?prefix=&page_token=&max_keys= (1..1000).", [st](const HttpRequest& req) {
         auto max_keys = ParseIntInRange(req.QueryParam("max_keys"), "max_keys", 1000, 1, 1000);
         if (!max_keys.ok()) return HttpResponse::Error(max_keys.status());
         auto page =
             st->List(req.QueryParam("prefix").value_or(""),
                      req.QueryParam("page_token").value_or(""), static_cast<int>(*max_keys));
         if (!page.ok()) return HttpResponse::Error(page.status());
         json objects = json::array();
         for (const auto& o : page->objects) objects.push_back(ObjectJson(o));
         json out = {{"objects", objects}};
         out["next_page_token"] =
             page->next_page_token.empty() ? json(nullptr) : json(page->next_page_token);
         return HttpResponse::Json(200, out);
       }});
}

void AddEventRoutes(Router& router, const ApiDeps& deps) {
  events::EventLog* log = deps.events;
  router.Add({"GET", "/v1/events", Role::kOperator,
              "Durable events after an id: ?after=&limit= (1..1000)&kind=.",
              [log](const HttpRequest& req) {
                auto after = ParseIntInRange(req.QueryParam("after"), "after", 0, 0, INT64_MAX);
                if (!after.ok()) return HttpResponse::Error(after.status());
                auto limit = ParseIntInRange(req.QueryParam("limit"), "limit", 100, 1, 1000);
                if (!limit.ok()) return HttpResponse::Error(limit.status());
                std::optional<events::EventKind> kind;
                if (auto k = req.QueryParam("kind"); k && !k->empty()) {
                  auto parsed = events::ParseEventKind(*k);
                  if (!parsed.ok()) return HttpResponse::Error(parsed.status());
                  kind = *parsed;
                }
                auto page = log->List(EventId(*after), static_cast<int>(*limit), kind);
                if (!page.ok()) return HttpResponse::Error(page.status());
                json list = json::array();
                for (const auto& e : page->events) list.push_back(EventJson(e));
                return HttpResponse::Json(200, {{"events", list}, {"next", page->next.value()}});
              }});
}

void AddFoundationRoutes(Router& router, const ApiDeps& deps) {
  router.Add({"GET", "/v1/openapi.json", Role::kPublic, "This API's OpenAPI 3 document.",
              [&router](const HttpRequest&) { return HttpResponse::Json(200, router.OpenApi()); }});
  AddHealthRoutes(router, deps);
  AddParameterRoutes(router, deps);
  AddObjectRoutes(router, deps);
  AddEventRoutes(router, deps);
}

}  // namespace loupe::server
