#pragma once
// Services: every module of one loupe process, built in dependency order and connected — the
// only place objects are created and plugged into each other's ports — and started; the
// destructor stops what was started in reverse order (RAII), then frees it in reverse order of
// construction. `loupe serve` puts an HTTP server in front of router(); tests build the same
// graph on a temp dir.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Services> services, Services::Build(options, clock));
//   server::HttpServer http(services->router(), {...}, &services->authenticator());
//
// Build order (each needs only what is above it): database, event log, parameters, training
// index, store (its listener fans new objects out to the index and the event log), accounts,
// model registry and service, detection, training runner, notifications, review, workflow
// engine with the event router and poll schedule, the loop's task handlers on the ports, the
// routes of every module.

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth_store.h"
#include "auth/http/session_authenticator.h"
#include "auth/login_limiter.h"
#include "aws/http/protocol.h"
#include "aws/multipart.h"
#include "core/background_loop.h"
#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"
#include "detect/detect_service.h"
#include "detect/pipeline_detector.h"
#include "events/event_log.h"
#include "events/object_events.h"
#include "models/model_registry.h"
#include "models/model_service.h"
#include "models/pipeline_deployment.h"
#include "notify/notifier.h"
#include "notify/pipeline_notifications.h"
#include "params/parameter_store.h"
#include "review/pipeline_review.h"
#include "review/review_service.h"
#include "server/router.h"
#include "store/object_store.h"
#include "store/open.h"
#include "training/pipeline_trainer.h"
#include "training/training_runner.h"
#include "training/training_set.h"
#include "workflow/engine.h"
#include "workflow/event_router.h"
#include "workflow/poll_scheduler.h"

namespace loupe::app {

struct ServicesOptions {
  std::filesystem::path data_dir;     // created if missing
  std::string database;               // db::OpenDatabase spec; empty = <data_dir>/loupe.db
  store::StoreOptions store;          // empty spec = the folder <data_dir>/objects
  std::filesystem::path console_dir;  // the built web console, served at `/`
  std::string version;                // reported by /healthz
  int train_augmentations = 3;
  uint64_t train_seed = 0;
  notify::SmtpOptions smtp;  // empty URL = e-mail disabled
  bool secure_cookies = false;
  // The first start's admin password and API token (see auth::AuthStore::Bootstrap).
  std::optional<std::string> admin_password;
  std::optional<std::string> bootstrap_token;
  // The secrets key that seals AWS secret keys (64 hex; $LOUPE_SECRETS_KEY), else the file
  // <data_dir>/secrets.key (auth/secrets_key.h).
  std::optional<std::string> secrets_key_hex;
  aws::AwsOptions aws;  // the bucket, region and account of the AWS protocol routes
};

class Services {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Services>> Build(const ServicesOptions& options,
                                                               const Clock& clock);
  ~Services();  // stops in reverse order of start
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // Every route of every module; /metrics includes `http_metrics()` once set.
  server::Router& router() { return router_; }
  server::Authenticator& authenticator() { return *authenticator_; }
  // The first start's account bootstrap (created admin, generated password).
  const auth::BootstrapResult& bootstrap() const { return bootstrap_; }
  // Adds the HTTP server's metrics to /metrics; call before serving.
  void SetHttpMetrics(std::function<std::string()> metrics);

 private:
  explicit Services(const Clock& clock) : clock_(clock) {}
  Status BuildAll(const ServicesOptions& options);
  void AddRoutes(const ServicesOptions& options);
  // Runs `start`; on success `stop` runs at destruction, before anything started earlier stops.
  Status Started(const Status& start, std::function<void()> stop);

  const Clock& clock_;
  // Members in dependency order: each is built after, and destroyed before, what it borrows.
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<params::ParameterStore> params_;
  std::unique_ptr<training::TrainingSet> training_set_;
  std::unique_ptr<events::ObjectEvents> object_events_;
  std::unique_ptr<store::ObjectStore> store_;
  std::unique_ptr<auth::AuthStore> auth_store_;
  auth::BootstrapResult bootstrap_;
  std::unique_ptr<auth::LoginLimiter> login_limiter_;
  std::unique_ptr<auth::SessionAuthenticator> authenticator_;
  std::unique_ptr<models::ModelRegistry> registry_;
  std::unique_ptr<models::ModelService> models_;
  std::unique_ptr<detect::DetectService> detect_;
  std::unique_ptr<training::TrainingRunner> runner_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<review::ReviewService> reviews_;
  std::unique_ptr<aws::MultipartUploads> multipart_;
  std::unique_ptr<BackgroundLoop> review_sweeper_;
  std::unique_ptr<BackgroundLoop> peer_sync_;
  // The loop's ports, implemented by the modules that own the work.
  std::unique_ptr<detect::PipelineDetector> detector_port_;
  std::unique_ptr<review::PipelineReview> review_port_;
  std::unique_ptr<models::PipelineDeployment> deployment_port_;
  std::unique_ptr<notify::PipelineNotifications> notifications_port_;
  std::unique_ptr<training::PipelineTrainer> trainer_port_;
  std::unique_ptr<workflow::Engine> engine_;
  std::unique_ptr<workflow::EventRouter> event_router_;
  std::unique_ptr<workflow::PollScheduler> scheduler_;
  server::Router router_;
  std::mutex metrics_mu_;
  std::function<std::string()> http_metrics_;  // guarded by metrics_mu_
  std::vector<std::function<void()>> stops_;   // in order of start
};

}  // namespace loupe::app
