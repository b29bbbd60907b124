#include "store/http/object_routes.h"

namespace loupe::store {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

// Where consumers may upload (a new object there triggers detection); DESIGN.md §4.
constexpr const char* kConsumerUploadPrefix = "images_for_detection/";

json ObjectJson(const ObjectInfo& info) {
  return {{"key", info.key},
          {"size", info.size},
          {"sha256", info.sha256},
          {"modified", FormatRfc3339(info.modified)}};
}

}  // namespace

void AddObjectRoutes(server::Router& router, ObjectStore& store) {
  ObjectStore* st = &store;
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
                r.content_type = server::ContentTypeForKey(key);
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
  router.Add({"GET", "/v1/objects", Role::kOperator,
              "List objects: ?prefix=&page_token=&max_keys= (1..1000).",
              [st](const HttpRequest& req) {
                auto max_keys =
                    server::ParseIntInRange(req.QueryParam("max_keys"), "max_keys", 1000, 1, 1000);
                if (!max_keys.ok()) return HttpResponse::Error(max_keys.status());
                auto page = st->List(req.QueryParam("prefix").value_or(""),
                                     req.QueryParam("page_token").value_or(""),
                                     static_cast<int>(*max_keys));
                if (!page.ok()) return HttpResponse::Error(page.status());
                json objects = json::array();
                for (const auto& o : page->objects) objects.push_back(ObjectJson(o));
                json out = {{"objects", objects}};
                out["next_page_token"] =
                    page->next_page_token.empty() ? json(nullptr) : json(page->next_page_token);
                return HttpResponse::Json(200, out);
              }});
}

}  // namespace loupe::store
