#include "workflow/http/workflow_routes.h"

#include "server/page_params.h"

namespace loupe::workflow {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::Role;

json MachineJson(const StateMachineInfo& m, bool with_definition) {
  json out = {{"name", m.name},
              {"revision", m.revision},
              {"sha256", m.sha256},
              {"created", FormatRfc3339(m.created)}};
  if (with_definition) {
    out["definition"] = m.definition;
  } else if (m.definition.contains("Comment")) {
    out["comment"] = m.definition["Comment"];
  }
  return out;
}

}  // namespace

json ExecutionJson(const ExecutionInfo& e) {
  json out = {{"id", e.id},
              {"state_machine", e.state_machine},
              {"revision", e.revision},
              {"name", e.name},
              {"status", std::string(ExecutionStatusName(e.status))},
              {"input", e.input},
              {"start_time", FormatRfc3339(e.start_time)}};
  out["current_state"] = e.current_state.empty() ? json(nullptr) : json(e.current_state);
  out["output"] = e.output;
  out["error"] = e.error.empty() ? json(nullptr) : json(e.error);
  out["cause"] = e.cause.empty() ? json(nullptr) : json(e.cause);
  out["stop_time"] = e.stop_time ? json(FormatRfc3339(*e.stop_time)) : json(nullptr);
  return out;
}

json HistoryEventJson(const HistoryEvent& e) {
  json out = {{"id", e.id},
              {"type", std::string(HistoryEventTypeName(e.type))},
              {"time", FormatRfc3339(e.time)},
              {"details", e.details}};
  out["state"] = e.state.empty() ? json(nullptr) : json(e.state);
  return out;
}

void AddWorkflowRoutes(server::Router& router, Engine& engine) {
  Engine* eng = &engine;
  router.Add({"GET", "/v1/state-machines", Role::kOperator,
              "List state machines (latest revision of each).", [eng](const HttpRequest&) {
                auto list = eng->ListStateMachines();
                if (!list.ok()) return HttpResponse::Error(list.status());
                json out = json::array();
                for (const auto& m : *list) out.push_back(MachineJson(m, false));
                return HttpResponse::Json(200, {{"state_machines", out}});
              }});
  router.Add({"GET", "/v1/state-machines/([^/]+)", Role::kOperator,
              "A state machine's latest definition (Amazon States Language JSON).",
              [eng](const HttpRequest& req) {
                auto m = eng->GetStateMachine(req.path_params[0]);
                if (!m.ok()) return HttpResponse::Error(m.status());
                return HttpResponse::Json(200, MachineJson(*m, true));
              }});
  router.Add({"POST", "/v1/executions", Role::kOperator,
              "Start an execution: body {\"state_machine\", \"name\"?, \"input\"?}; idempotent "
              "by name (201 created, 200 existing).",
              [eng](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                StartRequest start;
                if (!body->contains("state_machine") || !(*body)["state_machine"].is_string()) {
                  return HttpResponse::Error(
                      InvalidArgumentError("body needs \"state_machine\": a name"));
                }
                start.state_machine = (*body)["state_machine"].get<std::string>();
                if (body->contains("name")) {
                  if (!(*body)["name"].is_string()) {
                    return HttpResponse::Error(InvalidArgumentError("\"name\" must be a string"));
                  }
                  start.name = (*body)["name"].get<std::string>();
                }
                if (body->contains("input")) start.input = (*body)["input"];
                auto r = eng->StartExecution(start);
                if (!r.ok()) return HttpResponse::Error(r.status());
                json out = ExecutionJson(r->execution);
                out["created"] = r->created;
                return HttpResponse::Json(r->created ? 201 : 200, out);
              }});
  router.Add({"GET", "/v1/executions", Role::kOperator,
              "List executions, newest first: ?state_machine=&status=&limit= (1..1000).",
              [eng](const HttpRequest& req) {
                ExecutionFilter filter;
                filter.state_machine = req.QueryParam("state_machine").value_or("");
                if (auto s = req.QueryParam("status"); s && !s->empty()) {
                  auto status = ParseExecutionStatus(*s);
                  if (!status.ok()) return HttpResponse::Error(status.status());
                  filter.status = *status;
                }
                auto limit = server::IntQueryParam(req, "limit", 100, 1, 1000);
                if (!limit.ok()) return HttpResponse::Error(limit.status());
                filter.limit = static_cast<int>(*limit);
                auto list = eng->ListExecutions(filter);
                if (!list.ok()) return HttpResponse::Error(list.status());
                json out = json::array();
                for (const auto& e : *list) out.push_back(ExecutionJson(e));
                return HttpResponse::Json(200, {{"executions", out}});
              }});
  router.Add({"GET", "/v1/executions/([^/]+)", Role::kOperator, "One execution.",
              [eng](const HttpRequest& req) {
                auto e = eng->GetExecution(req.path_params[0]);
                if (!e.ok()) return HttpResponse::Error(e.status());
                return HttpResponse::Json(200, ExecutionJson(*e));
              }});
  router.Add({"GET", "/v1/executions/([^/]+)/history", Role::kOperator,
              "An execution's history events, oldest first: ?after=&limit= (1..10000).",
              [eng](const HttpRequest& req) {
                auto page = server::ParsePageParams(req, 1000, 10000);
                if (!page.ok()) return HttpResponse::Error(page.status());
                auto h = eng->History(req.path_params[0], page->after, page->limit);
                if (!h.ok()) return HttpResponse::Error(h.status());
                json out = json::array();
                for (const auto& e : *h) out.push_back(HistoryEventJson(e));
                return HttpResponse::Json(200, {{"id", req.path_params[0]}, {"events", out}});
              }});
  router.Add({"POST", "/v1/executions/([^/]+)/stop", Role::kOperator,
              "Abort a running execution: optional body {\"error\", \"cause\"}.",
              [eng](const HttpRequest& req) {
                std::string error = "Loupe.Stopped";
                std::string cause = "stopped by " + req.principal;
                if (!req.body.empty()) {
                  auto body = req.JsonBody();
                  if (!body.ok()) return HttpResponse::Error(body.status());
                  if (body->contains("error") && (*body)["error"].is_string()) {
                    error = (*body)["error"].get<std::string>();
                  }
                  if (body->contains("cause") && (*body)["cause"].is_string()) {
                    cause = (*body)["cause"].get<std::string>();
                  }
                }
                Status s = eng->StopExecution(req.path_params[0], error, cause);
                if (!s.ok()) return HttpResponse::Error(s);
                auto e = eng->GetExecution(req.path_params[0]);
                if (!e.ok()) return HttpResponse::Error(e.status());
                return HttpResponse::Json(200, ExecutionJson(*e));
              }});
}

}  // namespace loupe::workflow
