#include "app/serve.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "app/services.h"
#include "auth/auth_store.h"
#include "core/clock.h"
#include "core/logging.h"
#include "server/http_server.h"

namespace loupe::app {
namespace {

constexpr const char* kVersion = "0.1.0";

// Self-pipe for shutdown signals: the handler only writes a byte (async-signal-safe); a thread
// reads it. A handler, not a blocked-signal mask, because libraries start threads of their own
// before main() that would otherwise receive the signal and take its default action.
int g_signal_pipe[2] = {-1, -1};

extern "C" void OnShutdownSignal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &b, 1);
}

Status InstallSignalHandlers() {
  if (pipe2(g_signal_pipe, O_CLOEXEC) != 0) return InternalError("pipe2 failed");
  struct sigaction sa {};
  sa.sa_handler = OnShutdownSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, nullptr) != 0 || sigaction(SIGTERM, &sa, nullptr) != 0) {
    return InternalError("sigaction failed");
  }
  return Status::Ok();
}

// The web console's directory: --web-dir, else the build's output dir (LOUPE_WEB_DIR, compiled
// in) when it holds a console, else `web/` beside the executable (an installed layout).
std::filesystem::path ConsoleDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  std::error_code ec;
#ifdef LOUPE_WEB_DIR
  std::filesystem::path built = LOUPE_WEB_DIR;
  if (std::filesystem::is_regular_file(built / "index.html", ec)) return built;
#endif
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("web") : exe.parent_path() / "web";
}

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int Fail(const Status& s) {
  spdlog::error("serve: {}", s.ToString());
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, ServeOptions& options, int* exit_code) {
  auto* serve = app.add_subcommand("serve", "Run the loupe service (API, console, workers)");
  serve->set_config("--config", "", "Read options from a TOML/INI file (keys = long options)");
  serve->add_option("--data", options.data_dir, "Data directory (created if missing)")
      ->capture_default_str();
  serve
      ->add_option("--db", options.database,
                   "Database: postgres://user:pass@host:port/db for PostgreSQL (env LOUPE_DB); "
                   "default SQLite in the data directory")
      ->envname("LOUPE_DB");
  serve
      ->add_option("--store", options.store,
                   "Object store: s3://bucket[/prefix] for an S3-compatible bucket (env "
                   "LOUPE_STORE; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                   "AWS_SESSION_TOKEN); default the folder <data>/objects")
      ->envname("LOUPE_STORE");
  serve
      ->add_option("--s3-endpoint", options.s3_endpoint,
                   "S3 endpoint URL, e.g. http://minio:9000 (env LOUPE_S3_ENDPOINT); default AWS")
      ->envname("LOUPE_S3_ENDPOINT");
  serve->add_option("--s3-region", options.s3_region, "S3 region (env LOUPE_S3_REGION)")
      ->envname("LOUPE_S3_REGION")
      ->capture_default_str();
  serve->add_flag("--s3-virtual-hosted", options.s3_virtual_hosted,
                  "Address the bucket as bucket.endpoint instead of endpoint/bucket");
  serve
      ->add_option("--aws-bucket", options.aws_bucket,
                   "Bucket name of loupe's S3 API (aws s3 cp x s3://BUCKET/images_for_detection/)")
      ->check([](const std::string& v) {
        // Names of loupe's own top-level routes cannot be the bucket's.
        for (const char* taken : {"v1", "assets", "human-loops", "healthz", "metrics", "index.html",
                                  "favicon.svg", "login", "review", "parameters", "models",
                                  "executions", "dataset", "notifications"}) {
          if (v == taken) return std::string("'") + v + "' is one of loupe's own paths";
        }
        bool ok = v.size() >= 3 && v.size() <= 63;
        for (char c : v) {
          ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
        }
        return ok ? std::string() : std::string("3..63 of a-z 0-9 . -");
      })
      ->capture_default_str();
  serve->add_option("--aws-region", options.aws_region, "Region in the ARNs of loupe's AWS APIs")
      ->capture_default_str();
  serve->add_option("--bind", options.bind, "Address to listen on")->capture_default_str();
  serve->add_option("--port", options.port, "Port to listen on (0 = pick a free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--max-body-mb", options.max_body_mb, "Largest request body in MiB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve
      ->add_option("--train-augmentations", options.train_augmentations,
                   "Augmented copies per training image when loupe trains a version")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  serve->add_option("--train-seed", options.train_seed, "Seed of automatic trainings")
      ->capture_default_str();
  serve->add_option("--log-level", options.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve->add_option(
      "--web-dir", options.web_dir,
      "Directory of the built web console (default: the build's, else <exe dir>/web)");
  serve->add_option("--smtp-url", options.smtp_url,
                    "SMTP server for e-mail notifications, smtp://host:port or smtps://host:port");
  serve->add_option("--smtp-from", options.smtp_from, "Sender address of notification e-mails");
  serve->add_option("--smtp-user", options.smtp_user, "SMTP user name (needs TLS)");
  serve
      ->add_option("--smtp-password", options.smtp_password,
                   "SMTP password (env LOUPE_SMTP_PASSWORD)")
      ->envname("LOUPE_SMTP_PASSWORD");
  serve->add_flag("--secure-cookies", options.secure_cookies,
                  "Mark the session cookie Secure (when clients reach loupe over HTTPS)");
  serve->callback([&options, exit_code] { *exit_code = Serve(options); });
}

int Serve(const ServeOptions& options) {
  if (Status s = InitLogging(options.log_level); !s.ok()) return Fail(s);
  if (Status s = InstallSignalHandlers(); !s.ok()) return Fail(s);
  ServicesOptions services_options;
  services_options.data_dir = options.data_dir;
  services_options.database = options.database;
  services_options.store = {options.store, options.s3_endpoint, options.s3_region,
                            !options.s3_virtual_hosted};
  services_options.console_dir = ConsoleDir(options.web_dir);
  services_options.version = kVersion;
  services_options.train_augmentations = options.train_augmentations;
  services_options.train_seed = options.train_seed;
  services_options.smtp = {options.smtp_url, options.smtp_from, options.smtp_user,
                           options.smtp_password};
  services_options.secure_cookies = options.secure_cookies;
  // On first start an admin (password from $LOUPE_ADMIN_PASSWORD, else generated and printed
  // once on stdout, never logged) and, with $LOUPE_BOOTSTRAP_TOKEN, an admin API token.
  services_options.admin_password = Env("LOUPE_ADMIN_PASSWORD");
  services_options.bootstrap_token = Env("LOUPE_BOOTSTRAP_TOKEN");
  services_options.secrets_key_hex = Env("LOUPE_SECRETS_KEY");
  services_options.aws.bucket = options.aws_bucket;
  services_options.aws.region = options.aws_region;

  SystemClock clock;
  auto services = Services::Build(services_options, clock);
  if (!services.ok()) return Fail(services.status());
  const auth::BootstrapResult& bootstrap = (*services)->bootstrap();
  if (bootstrap.created) {
    spdlog::info("serve: first start: created the admin account '{}'{}", auth::kAdminUser,
                 bootstrap.token_created ? " and its bootstrap API token" : "");
    if (bootstrap.password_generated) {
      std::printf("loupe admin password: %s\n", bootstrap.admin_password.c_str());
      std::fflush(stdout);
    }
  }
  spdlog::info("serve: web console from {}", services_options.console_dir.string());

  server::HttpServer http((*services)->router(),
                          {static_cast<size_t>(options.max_body_mb) * 1024 * 1024},
                          &(*services)->authenticator());
  (*services)->SetHttpMetrics([&http] { return http.MetricsText(); });
  auto port = http.Bind(options.bind, options.port);
  if (!port.ok()) return Fail(port.status());

  std::thread signal_waiter([&http] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig != 0) spdlog::info("serve: signal {} received, shutting down", sig);
    http.Stop();
  });
  spdlog::info("serve: data in {}", std::filesystem::absolute(options.data_dir).string());
  // Tests and scripts read this line to learn the port.
  std::printf("loupe listening on http://%s:%d\n", options.bind.c_str(), *port);
  std::fflush(stdout);

  Status run = http.Run();
  // If Run ended on its own (not by a signal), wake the signal thread so it can be joined.
  unsigned char zero = 0;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &zero, 1);
  signal_waiter.join();
  (*services)->SetHttpMetrics({});
  services->reset();  // stops every worker in reverse order of start
  spdlog::info("serve: stopped");
  return run.ok() ? 0 : Fail(run);
}

}  // namespace loupe::app
