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

// An S3 event notification's key: URL-encoded, with '+' for a space (as S3 writes it).
Result<std::string> DecodeEventKey(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = i + 2 < encoded.size() ? hex(encoded[i + 1]) : -1;
      int lo = i + 2 < encoded.size() ? hex(encoded[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("bad percent-encoding in key '" + std::string(encoded) + "'");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// POST /v1/objects/events: an S3 event notification ({"Records": [{"s3": {"object": {"key":
// ...}}}]}, as S3, MinIO and Ceph send them). Each record's object is registered (or its row
// dropped) through the store; the answer counts what happened to each key.
HttpResponse StorageEvents(ObjectStore& store, const HttpRequest& req) {
  auto body = req.JsonBody();
  if (!body.ok()) return HttpResponse::Error(body.status());
  if (!body->is_object() || !body->contains("Records") || !(*body)["Records"].is_array()) {
    return HttpResponse::Error(
        InvalidArgumentError("an S3 event notification has a \"Records\" array"));
  }
  json results = json::array();
  for (const json& record : (*body)["Records"]) {
    const json* key = nullptr;
    if (record.is_object() && record.contains("s3") && record["s3"].is_object() &&
        record["s3"].contains("object") && record["s3"]["object"].is_object() &&
        record["s3"]["object"].contains("key") && record["s3"]["object"]["key"].is_string()) {
      key = &record["s3"]["object"]["key"];
    }
    if (key == nullptr) {
      return HttpResponse::Error(
          InvalidArgumentError("each record needs s3.object.key (a string)"));
    }
    auto decoded = DecodeEventKey(key->get<std::string>());
    if (!decoded.ok()) return HttpResponse::Error(decoded.status());
    auto info = store.RegisterStorageKey(*decoded);
    json result = {{"key", *decoded}};
    if (info.ok()) {
      result["state"] = "present";
      result["object"] = ObjectJson(*info);
    } else if (info.status().code() == StatusCode::kNotFound) {
      result["state"] = "absent";
    } else if (info.status().code() == StatusCode::kInvalidArgument) {
      result["state"] = "ignored";
      result["reason"] = info.status().message();
    } else {
      return HttpResponse::Error(info.status());  // retried by the sender
    }
    results.push_back(std::move(result));
  }
  return HttpResponse::Json(200, {{"records", results}});
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
  router.Add({"POST", "/v1/objects/events", Role::kOperator,
              "S3 event notification: register the objects it names (created, changed, removed "
              "in the bucket by other programs).",
              [st](const HttpRequest& req) { return StorageEvents(*st, req); }});
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
