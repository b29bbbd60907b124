#include "training/http/training_routes.h"

#include <nlohmann/json.hpp>

#include "ml/dataset_formats.h"
#include "training/dataset_io.h"

namespace loupe::training {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

json ActivityJson(const TrainingActivity& a) {
  return {{"Version", a.version},   {"Phase", a.phase},
          {"Epoch", a.phase_index}, {"Epochs", a.phases},
          {"Step", a.step},         {"Steps", a.total_steps},
          {"Loss", a.loss},         {"StartedAt", FormatRfc3339(a.started)}};
}

// The items of an import body: {"Format": "groundtruth"|"coco", "Manifest": text} for images
// already in the bucket, or {"Items": [{"Source", "Label", "Split"?, "Sha256"?}]} (what
// `loupe dataset import` sends after staging local files).
Result<std::vector<ml::ImportItem>> ImportItems(const json& body) {
  if (body.contains("Items")) {
    if (!body["Items"].is_array() || body["Items"].empty()) {
      return InvalidArgumentError("Items must be a non-empty list");
    }
    if (body["Items"].size() > ml::kMaxImportItems) {
      return InvalidArgumentError("more than " + std::to_string(ml::kMaxImportItems) + " items");
    }
    std::string lines;
    for (const json& item : body["Items"]) {
      if (!item.is_object() || !item.contains("Source") || !item["Source"].is_string() ||
          !item.contains("Label") || !item["Label"].is_string()) {
        return InvalidArgumentError("each item needs a string Source and Label");
      }
      json line = {{"source-ref", item["Source"]},
                   {"label-metadata", {{"class-name", item["Label"]}}}};
      if (item.contains("Split")) line["loupe-split"] = item["Split"];
      if (item.contains("Sha256")) line["loupe-sha256"] = item["Sha256"];
      lines += line.dump() + "\n";
    }
    return ml::ParseGroundTruth(lines);
  }
  if (!body.contains("Format") || !body["Format"].is_string() || !body.contains("Manifest") ||
      !body["Manifest"].is_string()) {
    return InvalidArgumentError(
        "body must be {\"Format\": \"groundtruth\"|\"coco\", \"Manifest\": text} or "
        "{\"Items\": [...]}");
  }
  ASSIGN_OR_RETURN(ml::DatasetFormat format,
                   ml::ParseDatasetFormat(body["Format"].get<std::string>()));
  std::string manifest = body["Manifest"].get<std::string>();
  if (format == ml::DatasetFormat::kGroundTruth) return ml::ParseGroundTruth(manifest);
  if (format == ml::DatasetFormat::kCoco) return ml::ParseCoco(manifest);
  return InvalidArgumentError(
      "the import route reads groundtruth and coco manifests; yolo and "
      "folder trees are imported with `loupe dataset import`");
}

}  // namespace

void AddDatasetRoutes(server::Router& router, models::ModelRegistry& registry,
                      store::ObjectStore& store, const Clock& clock,
                      const std::string& bucket_uri) {
  router.Add(
      {"GET", "/v1/dataset/export", Role::kOperator,
       "The training dataset in a format: ?format=groundtruth|coco|yolo|folder|labelstudio "
       "-> {Format, Files: {path: text}, Images: [{Key, Path, Label, Sha256, Split}]} "
       "(the images themselves from /v1/objects/images_labeled_by_folder/<Key>).",
       [&registry, &store, &clock, bucket_uri](const HttpRequest& req) {
         auto format = ml::ParseDatasetFormat(req.QueryParam("format").value_or("groundtruth"));
         if (!format.ok()) return HttpResponse::Error(format.status());
         auto dataset = CurrentDataset(registry, store);
         if (!dataset.ok()) return HttpResponse::Error(dataset.status());
         ml::DatasetExport out = ml::ExportDataset(*dataset, *format, bucket_uri, clock.Now());
         json images = json::array();
         for (const ml::ExportedImage& i : out.images) {
           images.push_back({{"Key", i.key},
                             {"Path", i.path},
                             {"Label", i.label},
                             {"Sha256", i.sha256},
                             {"Split", std::string(ml::SplitName(i.split))}});
         }
         return HttpResponse::Json(200, {{"Format", std::string(ml::DatasetFormatName(*format))},
                                         {"Files", out.files},
                                         {"Images", images},
                                         {"Labels", dataset->labels}});
       }});
  router.Add(
      {"POST", "/v1/dataset/import", Role::kOperator,
       "Import labelled images already in the store: {Format: groundtruth|coco, Manifest} "
       "or {Items: [{Source, Label, Split?, Sha256?}], DeleteSources?}; every item is "
       "checked before the first is imported -> {Imported, Unchanged, Labels}.",
       [&store](const HttpRequest& req) {
         auto body = req.JsonBody();
         if (!body.ok()) return HttpResponse::Error(body.status());
         auto items = ImportItems(*body);
         if (!items.ok()) return HttpResponse::Error(items.status());
         if (body->contains("DeleteSources") && !(*body)["DeleteSources"].is_boolean()) {
           return HttpResponse::Error(InvalidArgumentError("DeleteSources must be true or false"));
         }
         bool delete_sources = body->value("DeleteSources", false);
         auto r = ImportFromStore(store, *items, delete_sources);
         if (!r.ok()) return HttpResponse::Error(r.status());
         return HttpResponse::Json(
             200, {{"Imported", r->imported}, {"Unchanged", r->unchanged}, {"Labels", r->labels}});
       }});
}

void AddTrainingRoutes(server::Router& router, db::Database& db, events::EventLog& events,
                       TrainingSet& training_set, TrainingRunner& runner) {
  router.Add(
      {"GET", "/v1/dataset", Role::kOperator,
       "Training images per label, negatives and untrained images (from the index).",
       [&training_set](const HttpRequest&) {
         auto s = training_set.Summary();
         if (!s.ok()) return HttpResponse::Error(s.status());
         json labels = json::array();
         for (const LabelCount& l : s->labels) {
           labels.push_back({{"Name", l.label}, {"Images", l.images}, {"Untrained", l.untrained}});
         }
         return HttpResponse::Json(200, {{"Labels", labels},
                                         {"Negatives", s->negatives},
                                         {"Untrained", s->untrained},
                                         {"Total", s->total}});
       }});
  router.Add({"GET", "/v1/training", Role::kOperator,
              "The training in progress (phase, step, loss), or null.",
              [&runner](const HttpRequest&) {
                std::optional<TrainingActivity> a = runner.Active();
                return HttpResponse::Json(200, {{"Active", a ? ActivityJson(*a) : json(nullptr)}});
              }});
  router.Add({"POST", "/v1/training/poll", Role::kOperator,
              "Run the training poll now (emits TrainingPollDue; the workflow decides).",
              [&db, &events](const HttpRequest& req) {
                Result<EventId> id = InternalError("not appended");
                Status s = db.Write([&](db::Transaction& tx) -> Status {
                  id = events.Append(tx, events::EventKind::kTrainingPollDue,
                                     {{"requested_by", req.principal}});
                  return id.status();
                });
                if (!s.ok()) return HttpResponse::Error(s);
                return HttpResponse::Json(202, {{"EventId", id->value()}});
              }});
}

}  // namespace loupe::training
