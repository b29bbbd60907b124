#include "review/http/review_routes.h"

namespace loupe::review {
namespace {

using nlohmann::json;
using server::ContentTypeForKey;
using server::HttpRequest;
using server::HttpResponse;
using server::IntQueryParam;
using server::Router;

json OptJson(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json ModelAnswerJson(const ModelAnswer& m) {
  return {{"Name", OptJson(m.name)}, {"Confidence", m.confidence}};
}

json TaskJson(const TaskInfo& t) {
  return {{"TaskId", t.task_id},
          {"HumanLoopName", t.loop_name},
          {"Image", t.image},
          {"Choices", t.choices},
          {"ModelAnswer", ModelAnswerJson(t.model_answer)},
          {"ExpiresAt", FormatRfc3339(t.expires)}};
}

// A lease or loop that expired is 410 Gone; other errors use the common table.
HttpResponse Error(const Status& s) {
  HttpResponse r = HttpResponse::Error(s);
  if (s.code() == StatusCode::kDeadlineExceeded) r.status = 410;
  return r;
}

Result<int> Limit(const HttpRequest& req, int fallback) {
  ASSIGN_OR_RETURN(int64_t v, IntQueryParam(req, "limit", fallback, 1, 1000));
  return static_cast<int>(v);
}

// A reviewer's or operator's label from a request body.
struct LabelAnswer {
  std::optional<std::string> label;  // null = none of these
  bool new_label = false;
};

// The body {"Label": "x" | null, "NewLabel"?: bool}.
Result<LabelAnswer> LabelFromBody(const HttpRequest& req) {
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  if (!body.contains("Label")) {
    return InvalidArgumentError("body must be {\"Label\": \"<label>\" or null}");
  }
  LabelAnswer answer;
  const json& l = body["Label"];
  if (l.is_string()) {
    answer.label = l.get<std::string>();
  } else if (!l.is_null()) {
    return InvalidArgumentError("Label must be a string or null");
  }
  if (body.contains("NewLabel")) {
    if (!body["NewLabel"].is_boolean()) return InvalidArgumentError("NewLabel must be a boolean");
    answer.new_label = body["NewLabel"].get<bool>();
  }
  return answer;
}

Result<int64_t> OptInt(const json& body, const char* name, int64_t fallback) {
  if (!body.contains(name) || body[name].is_null()) return fallback;
  const json& v = body[name];
  if (!v.is_number_integer()) {
    return InvalidArgumentError(std::string(name) + " must be an integer");
  }
  return v.get<int64_t>();
}

HttpResponse Image(std::string bytes, const std::string& key) {
  HttpResponse r;
  r.content_type = ContentTypeForKey(key);
  r.body = std::move(bytes);
  r.headers.emplace_back("Cache-Control", "private, max-age=300");
  return r;
}

// Operators and admins see every team. So does a caller whose role is public on a reviewer
// route: that only happens when the server authenticates no one (auth enforces roles, so an
// anonymous caller never reaches these routes once it is on), and then every route is open.
bool SeesAllTeams(Role role) {
  return role == Role::kOperator || role == Role::kAdmin || role == Role::kPublic;
}

}  // namespace

json FilingJson(const FilingResult& f) {
  return {{"HumanLoopName", f.loop},
          {"Key", f.key},
          {"Label", OptJson(f.label)},
          {"Workers", f.workers},
          {"FiledAt", FormatRfc3339(f.filed)}};
}

Caller ReviewCaller(const HttpRequest& req) {
  return Caller{req.principal, SeesAllTeams(req.role), req.teams};
}

json LoopJson(const LoopInfo& loop, bool with_answers) {
  const LoopInput& in = loop.input;
  json out = {{"HumanLoopName", in.name},
              {"HumanLoopStatus", std::string(LoopStatusName(loop.status))},
              {"CreationTime", FormatRfc3339(loop.created)},
              {"ExpiresAt", FormatRfc3339(loop.expires)},
              {"CompletionTime", loop.completed && loop.status == LoopStatus::kCompleted
                                     ? json(FormatRfc3339(*loop.completed))
                                     : json(nullptr)},
              {"Image", in.image},
              {"Choices", in.choices},
              {"ModelAnswer", ModelAnswerJson(in.model_answer)},
              {"TaskCount", in.task_count},
              {"Team", in.team},
              {"FlowDefinitionArn", "arn:loupe:review:::flow-definition/" + in.team},
              {"AvailabilityLifetimeSeconds", in.availability_seconds},
              {"TaskTimeLimitSeconds", in.task_time_limit_seconds},
              {"AnswersReceived", loop.answers.size()},
              {"ConsolidatedLabel", nullptr},
              {"DecidedBy", nullptr},
              {"HumanLoopOutput", nullptr}};
  if (loop.status == LoopStatus::kCompleted) {
    out["ConsolidatedLabel"] = OptJson(loop.label);
    out["DecidedBy"] = loop.decided_by;
    out["HumanLoopOutput"] = {{"OutputS3Uri", loop.output_key}};
  }
  if (with_answers) {
    json answers = json::array();
    for (const Answer& a : loop.answers) {
      answers.push_back({{"WorkerId", a.worker},
                         {"Label", OptJson(a.label)},
                         {"NewLabel", a.new_label},
                         {"AcceptanceTime", FormatRfc3339(a.accepted)},
                         {"SubmissionTime", FormatRfc3339(a.submitted)}});
    }
    out["Answers"] = answers;
  }
  return out;
}

Result<LoopInput> ParseLoopInput(const json& body) {
  LoopInput in;
  auto str = [&](const char* name, std::string& out) -> Status {
    if (!body.contains(name) || !body[name].is_string()) {
      return InvalidArgumentError(std::string(name) + " must be a string");
    }
    out = body[name].get<std::string>();
    return Status::Ok();
  };
  RETURN_IF_ERROR(str("HumanLoopName", in.name));
  RETURN_IF_ERROR(str("Image", in.image));
  if (!body.contains("Choices") || !body["Choices"].is_array()) {
    return InvalidArgumentError("Choices must be an array of labels");
  }
  for (const json& c : body["Choices"]) {
    if (!c.is_string()) return InvalidArgumentError("Choices must be an array of labels");
    in.choices.push_back(c.get<std::string>());
  }
  if (!body.contains("ModelAnswer") || !body["ModelAnswer"].is_object()) {
    return InvalidArgumentError("ModelAnswer must be {\"Name\", \"Confidence\"}");
  }
  const json& m = body["ModelAnswer"];
  if (m.contains("Name") && m["Name"].is_string()) {
    in.model_answer.name = m["Name"].get<std::string>();
  } else if (m.contains("Name") && !m["Name"].is_null()) {
    return InvalidArgumentError("ModelAnswer.Name must be a string or null");
  }
  if (!m.contains("Confidence") || !m["Confidence"].is_number()) {
    return InvalidArgumentError("ModelAnswer.Confidence must be a number in [0, 100]");
  }
  in.model_answer.confidence = m["Confidence"].get<double>();
  ASSIGN_OR_RETURN(int64_t count, OptInt(body, "TaskCount", 1));
  if (count < 1 || count > kMaxTaskCount) {
    return InvalidArgumentError("TaskCount must be in [1, 5]");
  }
  in.task_count = static_cast<int>(count);
  if (body.contains("Team") && !body["Team"].is_null()) RETURN_IF_ERROR(str("Team", in.team));
  ASSIGN_OR_RETURN(in.availability_seconds,
                   OptInt(body, "AvailabilityLifetimeSeconds", kMaxAvailabilitySeconds));
  ASSIGN_OR_RETURN(in.task_time_limit_seconds,
                   OptInt(body, "TaskTimeLimitSeconds", kDefaultTaskTimeLimitSeconds));
  return in;
}

void AddReviewRoutes(Router& router, ReviewService& service) {
  ReviewService* svc = &service;
  using Role::kOperator;
  using Role::kReviewer;

  router.Add({"POST", "/v1/human-loops", kOperator,
              "Start a human loop: {HumanLoopName, Image, Choices, ModelAnswer {Name, "
              "Confidence}, TaskCount?, Team?, AvailabilityLifetimeSeconds?, "
              "TaskTimeLimitSeconds?}; 201, or 200 for the same input again, 409 for another.",
              [svc](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return Error(body.status());
                auto input = ParseLoopInput(*body);
                if (!input.ok()) return Error(input.status());
                auto r = svc->CreateLoop(*input);
                if (!r.ok()) return Error(r.status());
                return HttpResponse::Json(r->created ? 201 : 200, LoopJson(r->loop, false));
              }});
  router.Add({"GET", "/v1/human-loops", kReviewer,
              "Human loops of the caller's teams, newest first: ?status=InProgress|Completed|"
              "Escalated|Stopped|Expired&limit=1..1000 (100).",
              [svc](const HttpRequest& req) {
                std::optional<LoopStatus> status;
                if (auto s = req.QueryParam("status"); s && !s->empty()) {
                  auto parsed = ParseLoopStatus(*s);
                  if (!parsed.ok()) return Error(parsed.status());
                  status = *parsed;
                }
                auto limit = Limit(req, 100);
                if (!limit.ok()) return Error(limit.status());
                Caller caller = ReviewCaller(req);
                auto loops = svc->ListLoops(caller, status, *limit);
                if (!loops.ok()) return Error(loops.status());
                json list = json::array();
                for (const auto& l : *loops) list.push_back(LoopJson(l, caller.all_teams));
                return HttpResponse::Json(200, {{"HumanLoopSummaries", list}});
              }});
  router.Add({"GET", "/v1/human-loops/([^/]+)", kReviewer,
              "A human loop of the caller's teams (operators also see each answer).",
              [svc](const HttpRequest& req) {
                Caller caller = ReviewCaller(req);
                auto loop = svc->GetLoop(req.path_params[0], caller);
                if (!loop.ok()) return Error(loop.status());
                return HttpResponse::Json(200, LoopJson(*loop, caller.all_teams));
              }});
  router.Add({"GET", "/v1/human-loops/([^/]+)/image", kReviewer,
              "The image of a human loop of the caller's teams.", [svc](const HttpRequest& req) {
                Caller caller = ReviewCaller(req);
                auto loop = svc->GetLoop(req.path_params[0], caller);
                if (!loop.ok()) return Error(loop.status());
                auto bytes = svc->LoopImage(req.path_params[0], caller);
                if (!bytes.ok()) return Error(bytes.status());
                return Image(std::move(*bytes), loop->input.image);
              }});
  router.Add({"POST", "/v1/human-loops/([^/]+)/stop", kOperator,
              "Stop an InProgress or Escalated human loop (its open tasks are withdrawn).",
              [svc](const HttpRequest& req) {
                auto loop = svc->StopLoop(req.path_params[0]);
                if (!loop.ok()) return Error(loop.status());
                return HttpResponse::Json(200, LoopJson(*loop, true));
              }});
  router.Add({"POST", "/v1/human-loops/([^/]+)/resolve", kOperator,
              "Complete an Escalated (tied) loop with the operator's {\"Label\": label|null}.",
              [svc](const HttpRequest& req) {
                auto answer = LabelFromBody(req);
                if (!answer.ok()) return Error(answer.status());
                auto loop = svc->ResolveLoop(req.path_params[0], answer->label, req.principal);
                if (!loop.ok()) return Error(loop.status());
                return HttpResponse::Json(200, LoopJson(*loop, true));
              }});

  router.Add({"POST", "/v1/tasks/next", kReviewer,
              "Claim the next task of the caller's teams (least confident model answer first, "
              "then oldest): 200 with the task and its lease, 204 when none is waiting.",
              [svc](const HttpRequest& req) {
                auto task = svc->ClaimNext(ReviewCaller(req));
                if (!task.ok()) return Error(task.status());
                if (!task->has_value()) return HttpResponse::NoContent();
                return HttpResponse::Json(200, TaskJson(**task));
              }});
  router.Add({"GET", "/v1/tasks/stats", kReviewer,
              "Tasks waiting for the caller, and the caller's answers today and in total.",
              [svc](const HttpRequest& req) {
                auto stats = svc->Stats(ReviewCaller(req));
                if (!stats.ok()) return Error(stats.status());
                return HttpResponse::Json(200, {{"QueueLength", stats->queue_length},
                                                {"DoneToday", stats->done_today},
                                                {"DoneTotal", stats->done_total}});
              }});
  router.Add({"POST", "/v1/tasks/([^/]+)/answer", kReviewer,
              "Answer a claimed task: {\"Label\": label|null (none of these), \"NewLabel\"?: "
              "bool}; 409 unless the caller holds it, 410 after its lease expired.",
              [svc](const HttpRequest& req) {
                auto answer = LabelFromBody(req);
                if (!answer.ok()) return Error(answer.status());
                auto loop = svc->Answer(req.path_params[0], ReviewCaller(req), answer->label,
                                        answer->new_label);
                if (!loop.ok()) return Error(loop.status());
                return HttpResponse::Json(
                    200, {{"TaskId", req.path_params[0]},
                          {"HumanLoopName", loop->input.name},
                          {"HumanLoopStatus", std::string(LoopStatusName(loop->status))}});
              }});
  router.Add(
      {"POST", "/v1/tasks/([^/]+)/release", kReviewer,
       "Give a claimed task back to the queue (the caller is not offered it again).",
       [svc](const HttpRequest& req) {
         if (Status s = svc->Release(req.path_params[0], ReviewCaller(req)); !s.ok()) {
           return Error(s);
         }
         return HttpResponse::Json(200, {{"TaskId", req.path_params[0]}, {"Released", true}});
       }});
  router.Add({"GET", "/v1/images/(.+)", kReviewer,
              "An image object, if it is the image of a human loop of the caller's teams.",
              [svc](const HttpRequest& req) {
                auto bytes = svc->ImageByKey(req.path_params[0], ReviewCaller(req));
                if (!bytes.ok()) return Error(bytes.status());
                return Image(std::move(*bytes), req.path_params[0]);
              }});

  router.Add({"GET", "/v1/review/filings", kOperator,
              "Images filed into the training set by human review, newest first: ?limit= (50).",
              [svc](const HttpRequest& req) {
                auto limit = Limit(req, 50);
                if (!limit.ok()) return Error(limit.status());
                auto filings = svc->ListFilings(*limit);
                if (!filings.ok()) return Error(filings.status());
                json list = json::array();
                for (const auto& f : *filings) list.push_back(FilingJson(f));
                return HttpResponse::Json(200, {{"Filings", list}});
              }});
  router.Add({"GET", "/v1/review/settings", kReviewer,
              "Review settings: {\"AllowNewLabels\": bool}.", [svc](const HttpRequest&) {
                auto s = svc->Settings();
                if (!s.ok()) return Error(s.status());
                return HttpResponse::Json(200, {{"AllowNewLabels", s->allow_new_labels}});
              }});
  router.Add({"PUT", "/v1/review/settings", kOperator,
              "Change review settings: {\"AllowNewLabels\": bool} (may reviewers propose labels "
              "that are not among a loop's choices).",
              [svc](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return Error(body.status());
                if (!body->contains("AllowNewLabels") || !(*body)["AllowNewLabels"].is_boolean()) {
                  return Error(InvalidArgumentError("body must be {\"AllowNewLabels\": bool}"));
                }
                ReviewSettings settings{(*body)["AllowNewLabels"].get<bool>()};
                if (Status s = svc->SetSettings(settings); !s.ok()) return Error(s);
                return HttpResponse::Json(200, {{"AllowNewLabels", settings.allow_new_labels}});
              }});
}

}  // namespace loupe::review
