#include "notify/http/notify_routes.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "server/page_params.h"

namespace loupe::notify {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;
using server::ParseIntInRange;
using server::Router;

Result<std::optional<Topic>> TopicParam(const HttpRequest& req) {
  auto text = req.QueryParam("topic");
  if (!text || text->empty()) return std::optional<Topic>();
  ASSIGN_OR_RETURN(Topic topic, ParseTopic(*text));
  return std::optional<Topic>(topic);
}

Result<NewSubscription> ParseSubscription(const HttpRequest& req) {
  ASSIGN_OR_RETURN(json body, req.JsonBody());
  NewSubscription sub;
  ASSIGN_OR_RETURN(std::string topic, JsonStringField(body, "topic", true));
  ASSIGN_OR_RETURN(sub.topic, ParseTopic(topic));
  ASSIGN_OR_RETURN(std::string protocol, JsonStringField(body, "protocol", true));
  ASSIGN_OR_RETURN(sub.protocol, ParseProtocol(protocol));
  ASSIGN_OR_RETURN(sub.endpoint, JsonStringField(body, "endpoint", true));
  ASSIGN_OR_RETURN(sub.secret, JsonStringField(body, "secret", false));
  sub.created_by = req.principal;
  return sub;
}

// One SSE event: id = sequence, event = type, data = the message JSON (one line).
std::string SseEvent(const Message& m) {
  return "id: " + std::to_string(m.sequence) + "\nevent: " + m.type +
         "\ndata: " + MessageJson(m).dump() + "\n\n";
}

// The state of one live stream; counts itself among the open streams while it lives.
struct StreamState {
  StreamState(std::shared_ptr<std::atomic<int>> open_streams, int64_t after)
      : open(std::move(open_streams)), last(after) {}
  ~StreamState() { --*open; }
  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;

  std::shared_ptr<std::atomic<int>> open;
  int64_t last;  // the newest sequence this stream has looked at
  bool started = false;
  std::chrono::steady_clock::time_point last_write;
};

HttpResponse StreamResponse(Notifier& notifier, const HttpRequest& req,
                            const NotifyRouteOptions& options,
                            const std::shared_ptr<std::atomic<int>>& open_streams) {
  auto topic = TopicParam(req);
  if (!topic.ok()) return HttpResponse::Error(topic.status());
  // Resume after Last-Event-ID (sent by reconnecting EventSource clients) or ?after=;
  // otherwise start with the messages published from now on.
  std::optional<std::string> resume = req.Header("last-event-id");
  if (resume->empty()) resume = req.QueryParam("after");
  auto after = ParseIntInRange(resume, "Last-Event-ID", -1, 0, INT64_MAX);
  if (!after.ok()) return HttpResponse::Error(after.status());
  if (*after < 0) {
    auto last = notifier.LastSequence();
    if (!last.ok()) return HttpResponse::Error(last.status());
    *after = *last;
  }
  if (++*open_streams > options.max_streams) {
    --*open_streams;
    return HttpResponse::Error(
        ResourceExhaustedError("too many live notification streams; try again later"));
  }
  auto state = std::make_shared<StreamState>(open_streams, *after);
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  Notifier* n = &notifier;
  r.stream = [n, state, topic = *topic, options](const HttpResponse::StreamWriter& write) {
    auto now = std::chrono::steady_clock::now();
    if (!state->started) {
      state->started = true;
      state->last_write = now;
      return write("retry: 3000\n: connected\n\n");
    }
    if (n->stopping()) return false;
    auto head = n->LastSequence();
    if (!head.ok()) return false;  // the client reconnects with its Last-Event-ID
    auto page = n->ListMessages(state->last, 100, topic);
    if (!page.ok()) return false;
    for (const Message& m : page->messages) {
      if (!write(SseEvent(m))) return false;
      state->last = m.sequence;
      state->last_write = now;
    }
    if (!page->messages.empty()) return true;
    // Nothing of this topic up to `head`: skip past it, so other topics do not wake us again.
    state->last = std::max(state->last, *head);
    if (now - state->last_write >= options.heartbeat) {
      if (!write(": heartbeat\n\n")) return false;
      state->last_write = now;
    }
    n->WaitForNewer(state->last, options.poll);
    return true;
  };
  return r;
}

}  // namespace

json SubscriptionJson(const Subscription& s) {
  return {{"id", s.id},
          {"topic", std::string(TopicName(s.topic))},
          {"protocol", std::string(ProtocolName(s.protocol))},
          {"endpoint", s.endpoint},
          {"created_at", FormatRfc3339(s.created_at)},
          {"created_by", s.created_by}};
}

json DeadLetterJson(const DeadLetter& d) {
  return {{"id", d.id},
          {"message", MessageJson(d.message)},
          {"subscription", SubscriptionJson(d.subscription)},
          {"attempts", d.attempts},
          {"last_error", d.last_error},
          {"dead_at", FormatRfc3339(d.dead_at)}};
}

void AddNotifyRoutes(Router& router, Notifier& notifier, NotifyRouteOptions options) {
  Notifier* n = &notifier;
  router.Add({"GET", "/v1/subscriptions", Role::kOperator,
              "Notification subscriptions (webhook, email); secrets are never shown.",
              [n](const HttpRequest&) {
                auto list = n->ListSubscriptions();
                if (!list.ok()) return HttpResponse::Error(list.status());
                json out = json::array();
                for (const auto& s : *list) out.push_back(SubscriptionJson(s));
                return HttpResponse::Json(200, {{"subscriptions", out}});
              }});
  router.Add({"POST", "/v1/subscriptions", Role::kOperator,
              "Subscribe to a topic: body {\"topic\": operator|consumer, \"protocol\": "
              "webhook|email, \"endpoint\": URL or address, \"secret\": webhook signing key}.",
              [n](const HttpRequest& req) {
                auto sub = ParseSubscription(req);
                if (!sub.ok()) return HttpResponse::Error(sub.status());
                auto created = n->Subscribe(*sub);
                if (!created.ok()) return HttpResponse::Error(created.status());
                return HttpResponse::Json(201, SubscriptionJson(*created));
              }});
  router.Add({"DELETE", "/v1/subscriptions/([0-9]{1,18})", Role::kOperator,
              "Remove a subscription; its pending deliveries are dropped.",
              [n](const HttpRequest& req) {
                Status s = n->Unsubscribe(std::stoll(req.path_params.at(0)));
                return s.ok() ? HttpResponse::NoContent() : HttpResponse::Error(s);
              }});
  router.Add({"GET", "/v1/notifications", Role::kOperator,
              "Published messages after a sequence: ?topic=&after=&limit= (1..1000).",
              [n](const HttpRequest& req) {
                auto topic = TopicParam(req);
                if (!topic.ok()) return HttpResponse::Error(topic.status());
                auto page_params = server::ParsePageParams(req);
                if (!page_params.ok()) return HttpResponse::Error(page_params.status());
                auto page = n->ListMessages(page_params->after, page_params->limit, *topic);
                if (!page.ok()) return HttpResponse::Error(page.status());
                json list = json::array();
                for (const auto& m : page->messages) list.push_back(MessageJson(m));
                return HttpResponse::Json(200, {{"notifications", list}, {"next", page->next}});
              }});
  router.Add({"POST", "/v1/notifications", Role::kOperator,
              "Publish a message: body {\"Topic\",\"Type\",\"Subject\",\"Detail\"?,"
              "\"MessageId\"?} (idempotent by MessageId).",
              [n](const HttpRequest& req) {
                auto body = req.JsonBody();
                if (!body.ok()) return HttpResponse::Error(body.status());
                auto request = ParsePublishRequest(*body);
                if (!request.ok()) return HttpResponse::Error(request.status());
                auto result = n->Publish(*request);
                if (!result.ok()) return HttpResponse::Error(result.status());
                json out = MessageJson(result->message);
                out["Created"] = result->created;
                return HttpResponse::Json(result->created ? 201 : 200, out);
              }});
  router.Add({"GET", "/v1/notifications/dead-letters", Role::kOperator,
              "Deliveries that used up their attempts: ?after=&limit= (1..1000).",
              [n](const HttpRequest& req) {
                auto page = server::ParsePageParams(req);
                if (!page.ok()) return HttpResponse::Error(page.status());
                auto list = n->ListDeadLetters(page->after, page->limit);
                if (!list.ok()) return HttpResponse::Error(list.status());
                json out = json::array();
                int64_t next = page->after;
                for (const auto& d : *list) {
                  out.push_back(DeadLetterJson(d));
                  next = d.id;
                }
                return HttpResponse::Json(200, {{"dead_letters", out}, {"next", next}});
              }});
  router.Add({"POST", "/v1/notifications/dead-letters/([0-9]{1,18})/redeliver", Role::kOperator,
              "Queue a dead letter again with a fresh set of attempts.",
              [n](const HttpRequest& req) {
                int64_t id = std::stoll(req.path_params.at(0));
                Status s = n->Redeliver(id);
                if (!s.ok()) return HttpResponse::Error(s);
                return HttpResponse::Json(
                    202, {{"id", id}, {"state", DeliveryStateName(DeliveryState::kPending)}});
              }});
  auto open_streams = std::make_shared<std::atomic<int>>(0);
  router.Add({"GET", "/v1/notifications/stream", Role::kOperator,
              "Live feed as server-sent events (id = Sequence, event = Type, data = message); "
              "?topic=; resumes after Last-Event-ID (or ?after=); comment heartbeats.",
              [n, options, open_streams](const HttpRequest& req) {
                return StreamResponse(*n, req, options, open_streams);
              }});
}

}  // namespace loupe::notify
