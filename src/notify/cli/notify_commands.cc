#include "notify/cli/notify_commands.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::notify {
namespace {

using cli::Api;
using cli::ClientOptions;
using cli::PrintJson;
using cli::Text;
using nlohmann::json;

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
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
    Api api(options);
    auto r = api.CallJson("POST", "/v1/subscriptions", body.dump());
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::cout << "subscription " << Text(*r, "id") << ": " << Text(*r, "topic") << " -> "
              << Text(*r, "protocol") << " " << Text(*r, "endpoint") << "\n";
  });

  auto* ls = subs->add_subcommand("ls", "List subscriptions (secrets are never shown)");
  ls->callback([&options, exit_code] {
    Api api(options);
    auto r = api.CallJson("GET", "/v1/subscriptions");
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::printf("%-6s %-9s %-8s %-24s %s\n", "ID", "TOPIC", "PROTOCOL", "CREATED", "ENDPOINT");
    for (const json& s : (*r)["subscriptions"]) {
      std::printf("%-6s %-9s %-8s %-24s %s\n", Text(s, "id").c_str(), Text(s, "topic").c_str(),
                  Text(s, "protocol").c_str(), Text(s, "created_at").c_str(),
                  Text(s, "endpoint").c_str());
    }
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
    Api api(options);
    auto r = api.CallJson("GET", path);
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::printf("%-6s %-24s %-9s %-24s %s\n", "SEQ", "TIME", "TOPIC", "TYPE", "SUBJECT");
    for (const json& m : (*r)["notifications"]) {
      std::printf("%-6s %-24s %-9s %-24s %s\n", Text(m, "Sequence").c_str(),
                  Text(m, "Time").c_str(), Text(m, "Topic").c_str(), Text(m, "Type").c_str(),
                  Text(m, "Subject").c_str());
    }
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
    Api api(options);
    auto r = api.CallJson("POST", "/v1/notifications", body.dump());
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::cout << "message " << Text(*r, "MessageId") << " (sequence " << Text(*r, "Sequence") << ")"
              << ((*r).value("Created", true) ? "" : " already published") << "\n";
  });

  auto* dead = notes->add_subcommand("dead-letters", "Deliveries that used up their attempts");
  dead->callback([&options, exit_code] {
    Api api(options);
    auto r = api.CallJson("GET", "/v1/notifications/dead-letters?limit=1000");
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::printf("%-6s %-24s %-8s %-30s %s\n", "ID", "DEAD AT", "ATTEMPTS", "ENDPOINT", "ERROR");
    for (const json& d : (*r)["dead_letters"]) {
      std::printf("%-6s %-24s %-8s %-30s %s\n", Text(d, "id").c_str(), Text(d, "dead_at").c_str(),
                  Text(d, "attempts").c_str(), Text(d["subscription"], "endpoint").c_str(),
                  Text(d, "last_error").c_str());
    }
  });

  auto id = std::make_shared<int64_t>(0);
  auto* redeliver = notes->add_subcommand("redeliver", "Queue a dead letter again");
  redeliver->add_option("id", *id, "Dead letter id")->required()->check(CLI::PositiveNumber);
  redeliver->callback([&options, exit_code, id] {
    Api api(options);
    auto r = api.CallJson("POST",
                          "/v1/notifications/dead-letters/" + std::to_string(*id) + "/redeliver");
    if (!r) return void(*exit_code = 1);
    if (options.json) return PrintJson(*r);
    std::cout << "dead letter " << *id << " queued again\n";
  });
}

}  // namespace

void RegisterNotifyCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddSubscriptions(app, options, exit_code);
  AddNotifications(app, options, exit_code);
}

}  // namespace loupe::notify
