#include "notify/cli/notify_commands.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::notify {
namespace {

using cli::Api;
using cli::CallAndPrint;
using cli::ClientOptions;
using cli::Column;
using cli::PrintList;
using cli::Text;
using nlohmann::json;

// The value under `key` as table text; "" when `j` has none.
std::string Field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? "" : Text(*it);
}

void AddSubscriptions(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* subs = app.add_subcommand("subscriptions", "Notification subscriptions (webhook, e-mail)");
  subs->require_subcommand(1);

  struct AddArgs {
    std::string topic;
    std::string webhook;
    std::string secret;
    std::string email;
  };
  auto args = std::make_shared<AddArgs>();
  auto* add = subs->add_subcommand("add", "Subscribe a webhook or an e-mail address to a topic");
  add->add_option("--topic", args->topic, "operator or consumer")
      ->required()
      ->check(CLI::IsMember({"operator", "consumer"}));
  auto* webhook = add->add_option("--webhook", args->webhook, "http(s) URL to POST messages to");
  auto* email = add->add_option("--email", args->email, "Address to mail messages to");
  webhook->excludes(email);
  add->add_option("--secret", args->secret,
                  "Webhook signing secret, 16..256 bytes (env LOUPE_WEBHOOK_SECRET)")
      ->needs(webhook);
  add->callback([&options, exit_code, args] {
    json body = {{"topic", args->topic}};
    if (!args->webhook.empty()) {
      std::string secret = args->secret;
      const char* env = std::getenv("LOUPE_WEBHOOK_SECRET");
      if (secret.empty() && env != nullptr) secret = env;
      body["protocol"] = "webhook";
      body["endpoint"] = args->webhook;
      body["secret"] = secret;
    } else if (!args->email.empty()) {
      body["protocol"] = "email";
      body["endpoint"] = args->email;
    } else {
      Api::PrintError("give --webhook URL --secret S, or --email ADDR");
      return void(*exit_code = 2);
    }
    CallAndPrint(options, exit_code, "POST", "/v1/subscriptions", body.dump(), [](const json& r) {
      std::cout << "subscription " << Field(r, "id") << ": " << Field(r, "topic") << " -> "
                << Field(r, "protocol") << " " << Field(r, "endpoint") << "\n";
    });
  });

  auto* ls = subs->add_subcommand("ls", "List subscriptions (secrets are never shown)");
  ls->callback([&options, exit_code] {
    PrintList(options, exit_code, "/v1/subscriptions", "subscriptions",
              {{"ID", 6, "/id"},
               {"TOPIC", 9, "/topic"},
               {"PROTOCOL", 8, "/protocol"},
               {"CREATED", 24, "/created_at"},
               {"ENDPOINT", 0, "/endpoint"}});
  });

  auto id = std::make_shared<int64_t>(0);
  auto* rm = subs->add_subcommand("rm", "Remove a subscription");
  rm->add_option("id", *id, "Subscription id")->required()->check(CLI::PositiveNumber);
  rm->callback([&options, exit_code, id] {
    Api api(options);
    if (!api.Call("DELETE", "/v1/subscriptions/" + std::to_string(*id))) {
      return void(*exit_code = 1);
    }
    if (!options.json) std::cout << "subscription " << *id << " removed\n";
  });
}

void AddNotifications(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* notes = app.add_subcommand("notifications", "Published messages and dead letters");
  notes->require_subcommand(1);

  struct ListArgs {
    std::string topic;
    int64_t after = 0;
    int limit = 100;
  };
  auto list_args = std::make_shared<ListArgs>();
  auto* ls = notes->add_subcommand("ls", "Messages after a sequence number, oldest first");
  ls->add_option("--topic", list_args->topic, "operator or consumer (default: both)")
      ->check(CLI::IsMember({"operator", "consumer"}));
  ls->add_option("--after", list_args->after, "Only messages with a larger sequence")
      ->capture_default_str();
  ls->add_option("--limit", list_args->limit, "At most this many (1..1000)")->capture_default_str();
  ls->callback([&options, exit_code, list_args] {
    std::string path = "/v1/notifications?after=" + std::to_string(list_args->after) +
                       "&limit=" + std::to_string(list_args->limit);
    if (!list_args->topic.empty()) path += "&topic=" + server::EncodeQuery(list_args->topic);
    PrintList(options, exit_code, path, "notifications",
              {{"SEQ", 6, "/Sequence"},
               {"TIME", 24, "/Time"},
               {"TOPIC", 9, "/Topic"},
               {"TYPE", 24, "/Type"},
               {"SUBJECT", 0, "/Subject"}});
  });

  struct PublishArgs {
    std::string topic;
    std::string type;
    std::string subject;
    std::string detail = "{}";
    std::string id;
  };
  auto pub = std::make_shared<PublishArgs>();
  auto* publish = notes->add_subcommand("publish", "Publish a message (e.g. to test a webhook)");
  publish->add_option("--topic", pub->topic, "operator or consumer")
      ->required()
      ->check(CLI::IsMember({"operator", "consumer"}));
  publish->add_option("--type", pub->type, "Message type, e.g. TrainingSucceeded")->required();
  publish->add_option("--subject", pub->subject, "One-line subject")->required();
  publish->add_option("--detail", pub->detail, "Detail as a JSON object")->capture_default_str();
  publish->add_option("--id", pub->id, "Message id (publishing the same id again is a no-op)");
  publish->callback([&options, exit_code, pub] {
    json detail = json::parse(pub->detail, nullptr, false);
    if (detail.is_discarded() || !detail.is_object()) {
      Api::PrintError("--detail must be a JSON object");
      return void(*exit_code = 2);
    }
    json body = {
        {"Topic", pub->topic}, {"Type", pub->type}, {"Subject", pub->subject}, {"Detail", detail}};
    if (!pub->id.empty()) body["MessageId"] = pub->id;
    CallAndPrint(options, exit_code, "POST", "/v1/notifications", body.dump(), [](const json& r) {
      std::cout << "message " << Field(r, "MessageId") << " (sequence " << Field(r, "Sequence")
                << ")" << (r.value("Created", true) ? "" : " already published") << "\n";
    });
  });

  auto* dead = notes->add_subcommand("dead-letters", "Deliveries that used up their attempts");
  dead->callback([&options, exit_code] {
    PrintList(options, exit_code, "/v1/notifications/dead-letters?limit=1000", "dead_letters",
              {{"ID", 6, "/id"},
               {"DEAD AT", 24, "/dead_at"},
               {"ATTEMPTS", 8, "/attempts"},
               {"ENDPOINT", 30, "/subscription/endpoint"},
               {"ERROR", 0, "/last_error"}});
  });

  auto id = std::make_shared<int64_t>(0);
  auto* redeliver = notes->add_subcommand("redeliver", "Queue a dead letter again");
  redeliver->add_option("id", *id, "Dead letter id")->required()->check(CLI::PositiveNumber);
  redeliver->callback([&options, exit_code, id] {
    CallAndPrint(options, exit_code, "POST",
                 "/v1/notifications/dead-letters/" + std::to_string(*id) + "/redeliver", "",
                 [id](const json&) { std::cout << "dead letter " << *id << " queued again\n"; });
  });
}

}  // namespace

void RegisterNotifyCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddSubscriptions(app, options, exit_code);
  AddNotifications(app, options, exit_code);
}

}  // namespace loupe::notify
