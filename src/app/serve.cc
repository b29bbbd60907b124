#include "app/serve.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "auth/auth_store.h"
#include "auth/http/auth_routes.h"
#include "auth/http/session_authenticator.h"
#include "auth/login_limiter.h"
#include "console/http/static_routes.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/sqlite_database.h"
#include "detect/detect_service.h"
#include "detect/http/detect_routes.h"
#include "events/event_log.h"
#include "events/http/event_routes.h"
#include "models/http/model_routes.h"
#include "models/model_registry.h"
#include "models/model_service.h"
#include "notify/http/notify_routes.h"
#include "notify/notifier.h"
#include "params/http/parameter_routes.h"
#include "params/parameter_store.h"
#include "pipeline/handlers.h"
#include "pipeline/routes.h"
#include "pipeline/training_runner.h"
#include "pipeline/training_set.h"
#include "review/http/review_routes.h"
#include "review/review_service.h"
#include "server/http_server.h"
#include "server/service_routes.h"
#include "store/http/object_routes.h"
#include "store/local_object_store.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/http/workflow_routes.h"
#include "workflow/poll_scheduler.h"

namespace loupe::app {
namespace {

constexpr const char* kVersion = "0.1.0";

// Turns each new object into a durable ObjectCreated event and indexes new training images,
// both in the store's transaction (so each happens exactly once per new content).
class ObjectEvents final : public store::ObjectListener {
 public:
  ObjectEvents(events::EventLog& log, pipeline::TrainingSet& training_set)
      : log_(log), training_set_(training_set) {}
  Status OnObjectCreated(db::Transaction& tx, const store::ObjectInfo& info) override {
    RETURN_IF_ERROR(training_set_.Record(tx, info.key, info.sha256));
    return log_
        .Append(tx, events::EventKind::kObjectCreated,
                {{"key", info.key}, {"size", info.size}, {"sha256", info.sha256}})
        .status();
  }

 private:
  events::EventLog& log_;
  pipeline::TrainingSet& training_set_;
};

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

// What /healthz checks: the database answers a query.
Status DatabaseHealth(db::Database& db) {
  Status s = db.Read([](db::Transaction& tx) { return tx.Query("SELECT 1").status(); });
  return s.ok() ? s : UnavailableError("database: " + s.message());
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
  std::error_code ec;
  std::filesystem::path data = options.data_dir;
  std::filesystem::create_directories(data, ec);
  if (ec) return Fail(UnavailableError("cannot create " + data.string() + ": " + ec.message()));

  SystemClock clock;
  auto db = db::OpenSqlite((data / "loupe.db").string());
  if (!db.ok()) return Fail(db.status());
  auto events = events::EventLog::Open(**db, clock);
  if (!events.ok()) return Fail(events.status());
  auto params = params::ParameterStore::Open(**db, clock, **events);
  if (!params.ok()) return Fail(params.status());
  auto training_set = pipeline::TrainingSet::Open(**db, clock);
  if (!training_set.ok()) return Fail(training_set.status());
  ObjectEvents object_events(**events, **training_set);
  auto store = store::LocalObjectStore::Open(data, **db, clock, &object_events);
  if (!store.ok()) return Fail(store.status());
  if (Status s = (*store)->Start(); !s.ok()) return Fail(s);
  if (auto n = (*training_set)->Backfill(**store); !n.ok()) return Fail(n.status());

  // Accounts: on first start an admin (password from $LOUPE_ADMIN_PASSWORD, else generated and
  // printed once on stdout, never logged) and, with $LOUPE_BOOTSTRAP_TOKEN, an admin API token.
  auto auth_store = auth::AuthStore::Open(**db, clock);
  if (!auth_store.ok()) return Fail(auth_store.status());
  auto bootstrap =
      (*auth_store)->Bootstrap(Env("LOUPE_ADMIN_PASSWORD"), Env("LOUPE_BOOTSTRAP_TOKEN"));
  if (!bootstrap.ok()) return Fail(bootstrap.status());
  if (bootstrap->created) {
    spdlog::info("serve: first start: created the admin account '{}'{}", auth::kAdminUser,
                 bootstrap->token_created ? " and its bootstrap API token" : "");
    if (bootstrap->password_generated) {
      std::printf("loupe admin password: %s\n", bootstrap->admin_password.c_str());
      std::fflush(stdout);
    }
  }
  auth::LoginLimiter login_limiter(clock);
  auth::SessionAuthenticator authenticator(**auth_store);

  auto registry = models::ModelRegistry::Open(**db, clock, **store);
  if (!registry.ok()) return Fail(registry.status());
  models::ServiceOptions model_options;
  model_options.cache_dir = data / "model-cache";
  auto model_service = models::ModelService::Create(
      **registry, params->get(), clock, models::DefaultPredictorLoader(), model_options);
  if (!model_service.ok()) return Fail(model_service.status());
  // Serves the versions that were RUNNING before the restart (production included).
  if (Status s = (*model_service)->Recover(); !s.ok()) return Fail(s);
  detect::DetectService detect_service(**model_service, **store, clock);
  pipeline::RunnerOptions runner_options;
  runner_options.work_dir = data / "work";
  runner_options.train.seed = options.train_seed;
  runner_options.train.augmentations = options.train_augmentations;
  auto runner = pipeline::TrainingRunner::Open(**db, clock, **registry, **store, **training_set,
                                               runner_options);
  if (!runner.ok()) return Fail(runner.status());
  if (Status s = (*runner)->RecoverInterrupted(); !s.ok()) return Fail(s);

  // Notifications: topics, subscriptions, webhook/e-mail delivery workers, the live feed.
  // Opened on the shared database before the workflows (loupe:notify publishes through it);
  // its workers start here and stop after the HTTP server and the engine.
  notify::NotifierOptions notify_options;
  notify_options.transport.smtp = {options.smtp_url, options.smtp_from, options.smtp_user,
                                   options.smtp_password};
  auto notifier = notify::Notifier::Open(**db, clock, notify_options);
  if (!notifier.ok()) return Fail(notifier.status());
  if (Status s = (*notifier)->Start(); !s.ok()) return Fail(s);

  // Workflows: the durable engine, the router from events to executions, the
  // parameter-driven training-poll schedule, and the four shipped state machines with the
  // loupe:* task handlers they call.
  auto engine = workflow::Engine::Open(**db, clock, params->get());
  if (!engine.ok()) return Fail(engine.status());
  auto router_of_events = workflow::EventRouter::Open(**db, **events, **engine);
  if (!router_of_events.ok()) return Fail(router_of_events.status());
  auto scheduler = workflow::PollScheduler::Open(**db, clock, **params, **events);
  if (!scheduler.ok()) return Fail(scheduler.status());
  pipeline::PipelineServices pipeline_services{
      **model_service, detect_service, **training_set, **runner,
      **scheduler,     **store,        data / "work",  {}};
  // Human review: loops, the reviewers' task queue, filing answers into the training set.
  // Opening it finishes completions a crash interrupted; expiry is evaluated on access.
  auto review_service = review::ReviewService::Open(**db, clock, **store, **events);
  if (!review_service.ok()) return Fail(review_service.status());
  review::ReviewService* reviews = review_service->get();
  pipeline_services.hooks.start_human_loop =
      [reviews](const pipeline::LoopRequest& r) -> Result<nlohmann::json> {
    review::LoopInput input;
    input.name = r.name;
    input.image = r.image_key;
    input.choices = r.choices;
    if (!r.model_label.empty()) input.model_answer.name = r.model_label;
    input.model_answer.confidence = r.model_confidence;
    ASSIGN_OR_RETURN(review::CreateResult created, reviews->CreateLoop(input));
    return review::LoopJson(created.loop, false);
  };
  pipeline_services.hooks.file_human_answer =
      [reviews](std::string_view loop) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(review::FilingResult f, reviews->FileAnswer(loop));
    return review::FilingJson(f);
  };
  pipeline_services.hooks.notify = [&notifier](const pipeline::Notification& n) -> Status {
    auto topic = notify::ParseTopic(n.topic);
    if (!topic.ok()) return topic.status();
    // The task's idempotency key is the message id: a task that runs twice publishes once.
    return (*notifier)
        ->Publish(notify::Sanitized({*topic, n.type, n.subject, n.detail, n.message_id}))
        .status();
  };
  pipeline::RegisterHandlers(**engine, pipeline_services);
  if (Status s = pipeline::LoadShippedWorkflows(**engine); !s.ok()) return Fail(s);
  if (Status s = pipeline::AddShippedRules(**router_of_events); !s.ok()) return Fail(s);
  if (Status s = (*engine)->Start(); !s.ok()) return Fail(s);
  if (Status s = (*router_of_events)->Start(); !s.ok()) return Fail(s);
  if (Status s = (*scheduler)->Start(); !s.ok()) return Fail(s);

  server::Router router;
  server::HttpServer* http_ptr = nullptr;
  server::AddServiceRoutes(router, {kVersion, [&db] { return DatabaseHealth(**db); },
                                    [&http_ptr, &notifier] {
                                      return (http_ptr ? http_ptr->MetricsText() : "") +
                                             (*notifier)->MetricsText();
                                    }});
  params::AddParameterRoutes(router, **params);
  store::AddObjectRoutes(router, **store);
  events::AddEventRoutes(router, **events);
  models::AddModelRoutes(router, **model_service);
  models::AddModelEvaluationRoute(router, **model_service, **store);
  detect::AddDetectRoutes(router, detect_service);
  workflow::AddWorkflowRoutes(router, **engine);
  pipeline::AddPipelineRoutes(router, **db, **events, **training_set, **runner);
  notify::AddNotifyRoutes(router, **notifier);
  review::AddReviewRoutes(router, **review_service);

  // Web console: static files of the built console at `/` (public; the API stays under /v1).
  const std::filesystem::path console_dir = ConsoleDir(options.web_dir);
  console::AddStaticRoutes(router, console_dir);
  spdlog::info("serve: web console from {}", console_dir.string());

  auth::AddAuthRoutes(router, **auth_store, login_limiter, {options.secure_cookies});
  server::HttpServer http(router, {static_cast<size_t>(options.max_body_mb) * 1024 * 1024},
                          &authenticator);
  http_ptr = &http;
  auto port = http.Bind(options.bind, options.port);
  if (!port.ok()) return Fail(port.status());

  std::thread signal_waiter([&http] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig != 0) spdlog::info("serve: signal {} received, shutting down", sig);
    http.Stop();
  });
  // Review housekeeping every 30 s until shutdown: expire loops past their lifetime and finish
  // completions whose output.json could not be written at the time.
  std::mutex sweep_mu;
  std::condition_variable sweep_cv;
  bool sweep_stop = false;
  std::thread review_sweeper([&] {
    std::unique_lock<std::mutex> lock(sweep_mu);
    while (!sweep_cv.wait_for(lock, std::chrono::seconds(30), [&] { return sweep_stop; })) {
      lock.unlock();
      if (Status s = reviews->Sweep(); !s.ok()) spdlog::warn("review sweep: {}", s.ToString());
      lock.lock();
    }
  });
  spdlog::info("serve: data in {}", std::filesystem::absolute(data).string());
  // Tests and scripts read this line to learn the port.
  std::printf("loupe listening on http://%s:%d\n", options.bind.c_str(), *port);
  std::fflush(stdout);

  Status run = http.Run();
  // If Run ended on its own (not by a signal), wake the signal thread so it can be joined.
  unsigned char zero = 0;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &zero, 1);
  signal_waiter.join();
  {
    std::lock_guard<std::mutex> lock(sweep_mu);
    sweep_stop = true;
  }
  sweep_cv.notify_all();
  review_sweeper.join();
  (*scheduler)->Stop();
  (*router_of_events)->Stop();
  (*runner)->Shutdown();  // a training in progress ends; its version becomes TRAINING_FAILED
  (*engine)->Stop();
  (*notifier)->Stop();           // an attempt in flight is cancelled and stays due
  (*model_service)->Shutdown();  // in-flight detections finish; durable state is unchanged
  (*store)->Stop();
  spdlog::info("serve: stopped");
  return run.ok() ? 0 : Fail(run);
}

}  // namespace loupe::app
