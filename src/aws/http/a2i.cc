// The A2I runtime (sagemaker-a2i-runtime, REST-JSON under /human-loops) over loupe's human
// review (review/review_service.h). A flow definition is a review team:
// arn:aws:sagemaker:<region>:<account>:flow-definition/<team>. StartHumanLoop's InputContent
// is the task of the custom image-classification templates: {"taskObject": "s3://bucket/key"
// or key, "initialValue"?: the model's label, "confidence"?: 0..100, "labels"?: choices}.

#include <algorithm>
#include <charconv>

#include "aws/http/handlers.h"
#include "models/model_service.h"
#include "review/http/review_routes.h"
#include "review/review_service.h"

namespace loupe::aws {
namespace {

using nlohmann::json;
using review::LoopInfo;
using review::LoopStatus;
using server::HttpRequest;
using server::HttpResponse;

std::string FlowArn(const AwsOptions& o, std::string_view team) {
  return "arn:aws:sagemaker:" + o.region + ":" + o.account + ":flow-definition/" +
         std::string(team);
}

std::string LoopArn(const AwsOptions& o, std::string_view name) {
  return "arn:aws:sagemaker:" + o.region + ":" + o.account + ":human-loop/" + std::string(name);
}

// The team a flow definition ARN names; ValidationException otherwise.
Result<std::string> TeamOf(std::string_view arn) {
  constexpr std::string_view kMarker = ":flow-definition/";
  size_t at = arn.find(kMarker);
  if (arn.substr(0, 16) != "arn:aws:sagemake" || at == std::string_view::npos ||
      at + kMarker.size() == arn.size()) {
    return InvalidArgumentError(
        "ValidationException: FlowDefinitionArn must be "
        "arn:aws:sagemaker:<region>:<account>:flow-definition/<team>");
  }
  return std::string(arn.substr(at + kMarker.size()));
}

// A2I's statuses: a tied (Escalated) loop still waits for a human; an expired one failed.
std::string A2iStatus(LoopStatus s) {
  switch (s) {
    case LoopStatus::kCompleted:
      return "Completed";
    case LoopStatus::kStopped:
      return "Stopped";
    case LoopStatus::kExpired:
      return "Failed";
    default:
      return "InProgress";
  }
}

json Summary(const LoopInfo& loop, const AwsOptions& o) {
  json out = {{"HumanLoopName", loop.input.name},
              {"HumanLoopStatus", A2iStatus(loop.status)},
              {"CreationTime", EpochSeconds(loop.created)},
              {"FlowDefinitionArn", FlowArn(o, loop.input.team)}};
  if (loop.status == LoopStatus::kExpired) {
    out["FailureReason"] = "the loop's availability lifetime ended before enough answers came";
  }
  return out;
}

json Description(const LoopInfo& loop, const AwsOptions& o) {
  json out = Summary(loop, o);
  out["HumanLoopArn"] = LoopArn(o, loop.input.name);
  if (loop.status == LoopStatus::kExpired) out["FailureCode"] = "Expired";
  if (loop.status == LoopStatus::kCompleted && !loop.output_key.empty()) {
    out["HumanLoopOutput"] = {{"OutputS3Uri", "s3://" + o.bucket + "/" + loop.output_key}};
  }
  return out;
}

// The object key of "s3://<bucket>/<key>" (this server's bucket) or of a plain key.
Result<std::string> KeyOf(const std::string& uri, const AwsOptions& o) {
  if (uri.rfind("s3://", 0) != 0) return uri;
  std::string prefix = "s3://" + o.bucket + "/";
  if (uri.rfind(prefix, 0) != 0) {
    return InvalidArgumentError(
        "ValidationException: taskObject must be in this server's bucket "
        "(s3://" +
        o.bucket + "/...)");
  }
  return uri.substr(prefix.size());
}

Result<review::LoopInput> ParseStart(const json& body, const AwsBackends& b, const AwsOptions& o) {
  review::LoopInput in;
  ASSIGN_OR_RETURN(in.name, NeedString(body, "HumanLoopName"));
  ASSIGN_OR_RETURN(std::string flow, NeedString(body, "FlowDefinitionArn"));
  ASSIGN_OR_RETURN(in.team, TeamOf(flow));
  if (!body.contains("HumanLoopInput") || !body["HumanLoopInput"].is_object()) {
    return InvalidArgumentError("ValidationException: HumanLoopInput {InputContent} is required");
  }
  ASSIGN_OR_RETURN(std::string content, NeedString(body["HumanLoopInput"], "InputContent"));
  json task = json::parse(content, nullptr, false);
  if (!task.is_object()) {
    return InvalidArgumentError("ValidationException: InputContent must be a JSON object");
  }
  ASSIGN_OR_RETURN(std::string object, NeedString(task, "taskObject"));
  ASSIGN_OR_RETURN(in.image, KeyOf(object, o));
  ASSIGN_OR_RETURN(std::string initial, OptString(task, "initialValue"));
  if (!initial.empty()) in.model_answer.name = initial;
  in.model_answer.confidence = 0;
  if (task.contains("confidence")) {
    if (!task["confidence"].is_number()) {
      return InvalidArgumentError("ValidationException: confidence must be a number in [0, 100]");
    }
    in.model_answer.confidence = task["confidence"].get<double>();
  }
  const json& labels = task.contains("labels") ? task["labels"] : task.value("Choices", json());
  if (labels.is_array()) {
    for (const json& l : labels) {
      if (!l.is_string()) {
        return InvalidArgumentError("ValidationException: labels must be strings");
      }
      in.choices.push_back(l.get<std::string>());
    }
  } else if (auto production = b.models.Production()) {
    // Without labels the reviewer chooses among the production model's.
    auto v = b.models.registry().Get(*production);
    if (v.ok() && v->summary.contains("labels") && v->summary["labels"].is_array()) {
      for (const json& l : v->summary["labels"]) in.choices.push_back(l.get<std::string>());
    }
  }
  if (in.choices.empty() && !initial.empty()) in.choices.push_back(initial);
  return in;
}

// A timestamp query parameter as the SDKs send them: ISO 8601 (botocore) or epoch seconds.
Result<std::optional<TimePoint>> TimeParam(const HttpRequest& req, const char* name) {
  const std::string text = req.QueryParam(name).value_or("");
  if (text.empty()) return std::optional<TimePoint>();
  if (auto t = ParseRfc3339(text); t.ok()) return std::optional<TimePoint>(*t);
  double secs = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, secs);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgumentError(std::string("ValidationException: ") + name +
                                " must be an ISO 8601 time or epoch seconds");
  }
  return std::optional<TimePoint>(FromUnixMillis(static_cast<int64_t>(secs * 1000)));
}

// Runs `body` and answers in A2I's shapes.
template <typename F>
HttpResponse Answer(F&& body) {
  Result<json> out = body();
  if (!out.ok()) return ErrorResponse(Service::kA2i, out.status());
  return JsonOk(Service::kA2i, *out);
}

}  // namespace

void AddA2iRoutes(server::Router& router, const AwsBackends& b, const AwsOptions& o) {
  auto refusal = [](const Status& s) { return ErrorResponse(Service::kA2i, s); };
  router.Add({"POST", "/human-loops", Role::kOperator,
              "A2I StartHumanLoop (SigV4): {HumanLoopName, FlowDefinitionArn, HumanLoopInput "
              "{InputContent}} -> {HumanLoopArn}.",
              [b, o](const HttpRequest& req) {
                return Answer([&]() -> Result<json> {
                  ASSIGN_OR_RETURN(json body, req.JsonBody());
                  ASSIGN_OR_RETURN(review::LoopInput in, ParseStart(body, b, o));
                  auto created = b.reviews.CreateLoop(in);
                  if (!created.ok()) {
                    if (created.status().code() == StatusCode::kAlreadyExists) {
                      return WithCode("ConflictException", created.status());
                    }
                    return created.status();
                  }
                  return json{{"HumanLoopArn", LoopArn(o, in.name)}};
                });
              },
              refusal});
  router.Add(
      {"GET", "/human-loops", Role::kReviewer,
       "A2I ListHumanLoops (SigV4): ?FlowDefinitionArn=&SortOrder=&MaxResults=&NextToken=&"
       "CreationTimeAfter=&CreationTimeBefore= -> {HumanLoopSummaries, NextToken} (among the "
       "newest 1000 loops the caller sees).",
       [b, o](const HttpRequest& req) {
         return Answer([&]() -> Result<json> {
           auto flow = req.QueryParam("FlowDefinitionArn");
           if (!flow) {
             return InvalidArgumentError("ValidationException: FlowDefinitionArn is required");
           }
           ASSIGN_OR_RETURN(std::string team, TeamOf(*flow));
           ASSIGN_OR_RETURN(int64_t max, server::IntQueryParam(req, "MaxResults", 100, 1, 100));
           std::string order = req.QueryParam("SortOrder").value_or("Descending");
           if (order != "Ascending" && order != "Descending") {
             return InvalidArgumentError(
                 "ValidationException: SortOrder must be Ascending or Descending");
           }
           ASSIGN_OR_RETURN(std::optional<TimePoint> after, TimeParam(req, "CreationTimeAfter"));
           ASSIGN_OR_RETURN(std::optional<TimePoint> before, TimeParam(req, "CreationTimeBefore"));
           ASSIGN_OR_RETURN(auto loops,
                            b.reviews.ListLoops(review::ReviewCaller(req), std::nullopt, 1000));
           std::vector<const LoopInfo*> matching;
           for (const LoopInfo& l : loops) {
             if (l.input.team != team) continue;
             if ((after && l.created <= *after) || (before && l.created >= *before)) continue;
             matching.push_back(&l);
           }
           if (order == "Ascending") std::reverse(matching.begin(), matching.end());
           return Page(matching.size(), req.QueryParam("NextToken").value_or(""), max,
                       "HumanLoopSummaries", "ValidationException",
                       [&](size_t i) { return Summary(*matching[i], o); });
         });
       },
       refusal});
  router.Add({"GET", "/human-loops/([^/]+)", Role::kReviewer, "A2I DescribeHumanLoop (SigV4).",
              [b, o](const HttpRequest& req) {
                return Answer([&]() -> Result<json> {
                  ASSIGN_OR_RETURN(LoopInfo loop, b.reviews.GetLoop(req.path_params[0],
                                                                    review::ReviewCaller(req)));
                  return Description(loop, o);
                });
              },
              refusal});
  router.Add({"POST", "/human-loops/stop", Role::kOperator,
              "A2I StopHumanLoop (SigV4): {HumanLoopName}.",
              [b](const HttpRequest& req) {
                return Answer([&]() -> Result<json> {
                  ASSIGN_OR_RETURN(json body, req.JsonBody());
                  ASSIGN_OR_RETURN(std::string name, NeedString(body, "HumanLoopName"));
                  RETURN_IF_ERROR(b.reviews.StopLoop(name).status());
                  return json::object();
                });
              },
              refusal});
  router.Add({"DELETE", "/human-loops/([^/]+)", Role::kOperator,
              "A2I DeleteHumanLoop (SigV4): a stopped, completed or failed loop.",
              [b](const HttpRequest& req) {
                return Answer([&]() -> Result<json> {
                  RETURN_IF_ERROR(b.reviews.DeleteLoop(req.path_params[0]));
                  return json::object();
                });
              },
              refusal});
}

}  // namespace loupe::aws
