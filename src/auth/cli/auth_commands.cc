#include "auth/cli/auth_commands.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/api.h"
#include "server/http_client.h"

namespace loupe::auth {
namespace {

using cli::Api;
using cli::CallAndPrint;
using cli::CallAndSay;
using cli::ClientOptions;
using cli::Text;
using nlohmann::json;

std::string Teams(const json& teams) {
  std::string out;
  for (const json& t : teams) out += (out.empty() ? "" : ",") + t.get<std::string>();
  return out.empty() ? "-" : out;
}

// Reads one line from stdin, without echo when stdin is a terminal.
std::optional<std::string> ReadSecretLine(const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::fputs(prompt.c_str(), stderr);
    std::fflush(stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stderr);
  }
  if (!ok) return std::nullopt;
  return line;
}

// The new password: --password, else $LOUPE_NEW_PASSWORD, else asked for (twice on a
// terminal). nullopt (after printing why) when none was given.
std::optional<std::string> NewPassword(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("LOUPE_NEW_PASSWORD");
  if (env != nullptr && *env != '\0') return std::string(env);
  auto first = ReadSecretLine("New password: ");
  if (!first || first->empty()) {
    Api::PrintError("no password given (use --password, $LOUPE_NEW_PASSWORD or type it)");
    return std::nullopt;
  }
  if (isatty(STDIN_FILENO) != 0) {
    auto again = ReadSecretLine("Repeat it: ");
    if (!again || *again != *first) {
      Api::PrintError("the passwords differ");
      return std::nullopt;
    }
  }
  return first;
}

void PrintUsers(const json& users) {
  std::printf("%-24s %-10s %-30s %s\n", "NAME", "ROLE", "TEAMS", "CREATED");
  for (const json& u : users) {
    std::printf("%-24s %-10s %-30s %s\n", Text(u["Name"]).c_str(), Text(u["Role"]).c_str(),
                Teams(u["Teams"]).c_str(), Text(u["CreatedAt"]).c_str());
  }
}

void PrintUser(const json& user) { PrintUsers(json::array({user})); }

void PrintTokens(const json& tokens) {
  std::printf("%-22s %-20s %-16s %-26s %s\n", "ID", "NAME", "USER", "CREATED", "STATE");
  for (const json& t : tokens) {
    std::string state = !t["RevokedAt"].is_null()   ? "revoked " + Text(t["RevokedAt"])
                        : !t["ExpiresAt"].is_null() ? "expires " + Text(t["ExpiresAt"])
                                                    : "active";
    std::printf("%-22s %-20s %-16s %-26s %s\n", Text(t["Id"]).c_str(), Text(t["Name"]).c_str(),
                Text(t["User"]).c_str(), Text(t["CreatedAt"]).c_str(), state.c_str());
  }
}

void AddUsers(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* users = app.add_subcommand("users", "Manage accounts (admin)");
  users->require_subcommand(1);

  struct Args {
    std::string name, role, password;
    std::vector<std::string> teams;
    bool clear_teams = false;
  };
  auto args = std::make_shared<Args>();

  auto* add = users->add_subcommand("add", "Create a user");
  add->add_option("name", args->name, "User name")->required();
  add->add_option("--role", args->role, "admin|operator|reviewer|consumer")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "reviewer", "consumer"}));
  add->add_option("--team", args->teams, "A team (workforce) to join; repeatable");
  add->add_option("--password", args->password,
                  "Initial password (else $LOUPE_NEW_PASSWORD, else prompted)");
  add->callback([&options, exit_code, args] {
    auto password = NewPassword(args->password);
    if (!password) return void(*exit_code = 1);
    json body = {{"Name", args->name},
                 {"Role", args->role},
                 {"Teams", args->teams},
                 {"Password", *password}};
    CallAndPrint(options, exit_code, "POST", "/v1/users", body.dump(), [](json r) {
      std::cout << "created user " << Text(r["Name"]) << " (" << Text(r["Role"]) << ")\n";
    });
  });

  auto* ls = users->add_subcommand("ls", "List users");
  ls->alias("list");
  ls->callback([&options, exit_code] {
    CallAndPrint(options, exit_code, "GET", "/v1/users", "",
                 [](const json& r) { PrintUsers(r.value("Users", json::array())); });
  });

  auto* show = users->add_subcommand("show", "Show one user");
  show->add_option("name", args->name, "User name")->required();
  show->callback([&options, exit_code, args] {
    CallAndPrint(options, exit_code, "GET", "/v1/users/" + server::EncodeQuery(args->name), "",
                 PrintUser);
  });

  auto* set = users->add_subcommand("set", "Change a user's role or teams");
  set->add_option("name", args->name, "User name")->required();
  set->add_option("--role", args->role, "admin|operator|reviewer|consumer")
      ->check(CLI::IsMember({"admin", "operator", "reviewer", "consumer"}));
  set->add_option("--team", args->teams, "Replace the user's teams; repeatable");
  set->add_flag("--no-teams", args->clear_teams, "Remove the user from every team");
  set->callback([&options, exit_code, args] {
    json body = json::object();
    if (!args->role.empty()) body["Role"] = args->role;
    if (!args->teams.empty() || args->clear_teams) body["Teams"] = args->teams;
    CallAndPrint(options, exit_code, "PUT", "/v1/users/" + server::EncodeQuery(args->name),
                 body.dump(), PrintUser);
  });

  auto* passwd = users->add_subcommand(
      "passwd", "Set a user's password (ends their sessions and revokes their tokens)");
  passwd->add_option("name", args->name, "User name")->required();
  passwd->add_option("--password", args->password,
                     "New password (else $LOUPE_NEW_PASSWORD, else prompted)");
  passwd->callback([&options, exit_code, args] {
    auto password = NewPassword(args->password);
    if (!password) return void(*exit_code = 1);
    CallAndSay(options, exit_code, "PUT", "/v1/users/" + server::EncodeQuery(args->name),
               json({{"Password", *password}}).dump(), "password changed for " + args->name);
  });

  auto* rm = users->add_subcommand("rm", "Delete a user (ends sessions, revokes tokens)");
  rm->add_option("name", args->name, "User name")->required();
  rm->callback([&options, exit_code, args] {
    CallAndSay(options, exit_code, "DELETE", "/v1/users/" + server::EncodeQuery(args->name), "",
               "deleted user " + args->name);
  });
}

void AddTokens(CLI::App& app, const ClientOptions& options, int* exit_code) {
  auto* tokens = app.add_subcommand("tokens", "Manage API tokens (admin)");
  tokens->require_subcommand(1);

  struct Args {
    std::string name, user, id;
    int expires_in_days = 0;
    bool aws = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();

  auto* create = tokens->add_subcommand("create", "Create an API token (printed once)");
  create->add_option("--name", args->name, "What the token is for")->required();
  create->add_option("--user", args->user, "Whose token (default: the caller)");
  create->add_option("--expires-in-days", args->expires_in_days, "Lifetime (default: none)")
      ->check(CLI::Range(1, 3650));
  create->add_flag("--aws", args->aws,
                   "An AWS access key pair for SigV4 clients (aws CLI, boto3) instead of a "
                   "bearer token");
  create->add_flag("--json", args->json, "Print the server's JSON answer");
  create->callback([&options, exit_code, args] {
    json body = {{"Name", args->name}};
    if (!args->user.empty()) body["User"] = args->user;
    if (args->expires_in_days > 0) body["ExpiresInDays"] = args->expires_in_days;
    if (args->aws) body["Aws"] = true;
    CallAndPrint(options, exit_code, "POST", "/v1/tokens", body.dump(), [args](json r) {
      if (args->json) {
        std::cout << r.dump(2) << "\n";
      } else if (args->aws) {
        std::cout << "id:                " << Text(r["Id"]) << "\n"
                  << "access key id:     " << Text(r["AccessKeyId"]) << "\n"
                  << "secret access key: " << Text(r["SecretAccessKey"]) << "\n"
                  << "(store the secret now: it is not shown again)\n";
      } else {
        std::cout << "id:    " << Text(r["Id"]) << "\n"
                  << "token: " << Text(r["Token"]) << "\n"
                  << "(store the token now: it is not shown again)\n";
      }
    });
  });

  auto* ls = tokens->add_subcommand("ls", "List API tokens (never their values)");
  ls->alias("list");
  ls->callback([&options, exit_code] {
    CallAndPrint(options, exit_code, "GET", "/v1/tokens", "",
                 [](const json& r) { PrintTokens(r.value("Tokens", json::array())); });
  });
  auto* revoke = tokens->add_subcommand("revoke", "Revoke an API token");
  revoke->add_option("id", args->id, "Token id (from `loupe tokens ls`)")->required();
  revoke->callback([&options, exit_code, args] {
    CallAndSay(options, exit_code, "DELETE", "/v1/tokens/" + server::EncodeQuery(args->id), "",
               "revoked " + args->id);
  });
}

}  // namespace

void RegisterAuthCommands(CLI::App& app, ClientOptions& options, int* exit_code) {
  AddUsers(app, options, exit_code);
  AddTokens(app, options, exit_code);
}

}  // namespace loupe::auth
