#include "app/services.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "auth/http/auth_routes.h"
#include "auth/secrets_key.h"
#include "aws/http/aws_routes.h"
#include "console/http/static_routes.h"
#include "db/open.h"
#include "detect/http/detect_routes.h"
#include "events/http/event_routes.h"
#include "models/http/model_routes.h"
#include "notify/http/notify_routes.h"
#include "params/http/parameter_routes.h"
#include "pipeline/handlers.h"
#include "review/http/review_routes.h"
#include "server/service_routes.h"
#include "store/http/object_routes.h"
#include "store/open.h"
#include "training/http/training_routes.h"
#include "workflow/http/workflow_routes.h"

namespace loupe::app {
namespace {

// How often the review housekeeping runs: loops past their lifetime expire, completions whose
// output.json could not be written at the time are finished.
constexpr std::chrono::seconds kReviewSweepPeriod{30};
// How often a process picks up what other processes on the same database changed: operator
// parameters and deployments (a no-op with one process).
constexpr std::chrono::seconds kPeerSyncPeriod{1};

// What /healthz checks: the database answers a query and the object store its storage.
Status Health(db::Database& db, const store::ObjectStore& store) {
  Status s = db.Read([](db::Transaction& tx) { return tx.Query("SELECT 1").status(); });
  if (!s.ok()) return UnavailableError("database: " + s.message());
  s = store.Health();
  return s.ok() ? s : UnavailableError("object store: " + s.message());
}

}  // namespace

Result<std::unique_ptr<Services>> Services::Build(const ServicesOptions& options,
                                                  const Clock& clock) {
  std::unique_ptr<Services> services(new Services(clock));
  RETURN_IF_ERROR(services->BuildAll(options));
  services->AddRoutes(options);
  return services;
}

Services::~Services() {
  for (auto it = stops_.rbegin(); it != stops_.rend(); ++it) (*it)();
}

Status Services::Started(const Status& start, std::function<void()> stop) {
  RETURN_IF_ERROR(start);
  stops_.push_back(std::move(stop));
  return Status::Ok();
}

void Services::SetHttpMetrics(std::function<std::string()> metrics) {
  std::lock_guard lock(metrics_mu_);
  http_metrics_ = std::move(metrics);
}

Status Services::BuildAll(const ServicesOptions& options) {
  const std::filesystem::path& data = options.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return UnavailableError("cannot create " + data.string() + ": " + ec.message());

  // Foundation: the database, the event log, the operator parameters, the object store. New
  // objects are indexed as training images and become ObjectCreated events in the store's
  // transaction.
  std::string database = options.database.empty() ? (data / "loupe.db").string() : options.database;
  ASSIGN_OR_RETURN(db_, db::OpenDatabase(database));
  spdlog::info("serve: database {}", db::RedactedSpec(database));
  ASSIGN_OR_RETURN(events_, events::EventLog::Open(*db_, clock_));
  ASSIGN_OR_RETURN(params_, params::ParameterStore::Open(*db_, clock_, *events_));
  ASSIGN_OR_RETURN(training_set_, training::TrainingSet::Open(*db_, clock_));
  object_events_ = std::make_unique<events::ObjectEvents>(*events_);
  object_events_->Also(*training_set_);
  ASSIGN_OR_RETURN(store_,
                   store::OpenObjectStore(options.store, data, *db_, clock_, object_events_.get()));
  RETURN_IF_ERROR(Started(store_->Start(), [this] { store_->Stop(); }));
  RETURN_IF_ERROR(training_set_->Backfill(*store_).status());

  // Accounts: on first start an admin and, with a bootstrap token, an admin API token.
  auth::AuthOptions auth_options;
  ASSIGN_OR_RETURN(auth_options.secrets_key,
                   auth::LoadSecretsKey(data / "secrets.key", options.secrets_key_hex));
  ASSIGN_OR_RETURN(auth_store_, auth::AuthStore::Open(*db_, clock_, auth_options));
  ASSIGN_OR_RETURN(bootstrap_,
                   auth_store_->Bootstrap(options.admin_password, options.bootstrap_token));
  login_limiter_ = std::make_unique<auth::LoginLimiter>(clock_);
  authenticator_ = std::make_unique<auth::SessionAuthenticator>(*auth_store_);

  // Models: versions and their artifacts, the serving units (the versions RUNNING before a
  // restart serve again, production included), detection, the background trainer.
  ASSIGN_OR_RETURN(registry_, models::ModelRegistry::Open(*db_, clock_, *store_));
  models::ServiceOptions model_options;
  model_options.cache_dir = data / "model-cache";
  ASSIGN_OR_RETURN(models_,
                   models::ModelService::Create(*registry_, params_.get(), clock_,
                                                models::DefaultPredictorLoader(), model_options));
  // In-flight detections finish at shutdown; durable state is unchanged.
  RETURN_IF_ERROR(Started(models_->Recover(), [this] { models_->Shutdown(); }));
  detect_ = std::make_unique<detect::DetectService>(*models_, *store_, clock_);
  training::RunnerOptions runner_options;
  runner_options.work_dir = data / "work";
  runner_options.train.seed = options.train_seed;
  runner_options.train.augmentations = options.train_augmentations;
  ASSIGN_OR_RETURN(runner_, training::TrainingRunner::Open(*db_, clock_, *registry_, *store_,
                                                           *training_set_, runner_options));
  RETURN_IF_ERROR(runner_->RecoverInterrupted());

  // Notifications (webhook/e-mail workers, the live feed), opened before the workflows that
  // publish through it; an attempt in flight at shutdown is cancelled and stays due.
  notify::NotifierOptions notify_options;
  notify_options.transport.smtp = options.smtp;
  ASSIGN_OR_RETURN(notifier_, notify::Notifier::Open(*db_, clock_, notify_options));
  RETURN_IF_ERROR(Started(notifier_->Start(), [this] { notifier_->Stop(); }));

  // Human review: opening it finishes completions a crash interrupted.
  ASSIGN_OR_RETURN(reviews_, review::ReviewService::Open(*db_, clock_, *store_, *events_));
  ASSIGN_OR_RETURN(multipart_, aws::MultipartUploads::Open(*db_, clock_));
  review_sweeper_ = std::make_unique<BackgroundLoop>("review-sweeper", [this] {
    if (Status s = reviews_->Sweep(); !s.ok()) spdlog::warn("review sweep: {}", s.ToString());
    return std::chrono::milliseconds(kReviewSweepPeriod);
  });

  // The loop: the durable engine, the router from events to executions, the parameter-driven
  // poll schedule, and the shipped state machines whose tasks reach the modules through ports.
  detector_port_ = std::make_unique<detect::PipelineDetector>(*detect_, *models_, *store_);
  review_port_ = std::make_unique<review::PipelineReview>(*reviews_);
  deployment_port_ = std::make_unique<models::PipelineDeployment>(*models_);
  notifications_port_ = std::make_unique<notify::PipelineNotifications>(*notifier_);
  trainer_port_ = std::make_unique<training::PipelineTrainer>(*training_set_, *runner_, *models_,
                                                              *store_, data / "work");
  ASSIGN_OR_RETURN(engine_, workflow::Engine::Open(*db_, clock_, params_.get()));
  ASSIGN_OR_RETURN(event_router_, workflow::EventRouter::Open(*db_, *events_, *engine_));
  ASSIGN_OR_RETURN(scheduler_, workflow::PollScheduler::Open(*db_, clock_, *params_, *events_));
  pipeline::RegisterHandlers(*engine_, {*detector_port_, *review_port_, *deployment_port_,
                                        *notifications_port_, *trainer_port_, *scheduler_});
  RETURN_IF_ERROR(pipeline::LoadShippedWorkflows(*engine_));
  RETURN_IF_ERROR(pipeline::AddShippedRules(*event_router_));
  RETURN_IF_ERROR(Started(engine_->Start(), [this] { engine_->Stop(); }));
  // A training in progress ends at shutdown; its version becomes TRAINING_FAILED.
  stops_.emplace_back([this] { runner_->Shutdown(); });
  RETURN_IF_ERROR(Started(event_router_->Start(), [this] { event_router_->Stop(); }));
  RETURN_IF_ERROR(Started(scheduler_->Start(), [this] { scheduler_->Stop(); }));
  RETURN_IF_ERROR(Started(review_sweeper_->Start(), [this] { review_sweeper_->Stop(); }));

  // Several processes on one database: parameters changed and versions deployed through any
  // of them reach this one within kPeerSyncPeriod.
  peer_sync_ = std::make_unique<BackgroundLoop>("peer-sync", [this] {
    if (Status s = params_->Refresh(); !s.ok()) spdlog::warn("peer sync: {}", s.ToString());
    if (Status s = models_->Sync(); !s.ok()) spdlog::warn("peer sync: {}", s.ToString());
    return std::chrono::milliseconds(kPeerSyncPeriod);
  });
  return Started(peer_sync_->Start(), [this] { peer_sync_->Stop(); });
}

void Services::AddRoutes(const ServicesOptions& options) {
  server::AddServiceRoutes(router_, {options.version, [this] { return Health(*db_, *store_); },
                                     [this] {
                                       std::string text;
                                       {
                                         std::lock_guard lock(metrics_mu_);
                                         if (http_metrics_) text = http_metrics_();
                                       }
                                       return text + notifier_->MetricsText();
                                     }});
  params::AddParameterRoutes(router_, *params_);
  store::AddObjectRoutes(router_, *store_);
  events::AddEventRoutes(router_, *events_);
  models::AddModelRoutes(router_, *models_);
  models::AddModelEvaluationRoute(router_, *models_, *store_);
  detect::AddDetectRoutes(router_, *detect_);
  workflow::AddWorkflowRoutes(router_, *engine_);
  training::AddTrainingRoutes(router_, *db_, *events_, *training_set_, *runner_);
  training::AddDatasetRoutes(router_, *registry_, *store_, clock_,
                             "s3://" + options.aws.bucket + "/");
  notify::AddNotifyRoutes(router_, *notifier_);
  review::AddReviewRoutes(router_, *reviews_);
  // The AWS protocols (Rekognition, SSM, A2I runtime, S3 path-style), before the console's
  // catch-all routes.
  aws::AddAwsRoutes(router_,
                    {*params_, *detect_, *models_, *runner_, *reviews_, *store_, *multipart_},
                    options.aws);
  // Web console: static files of the built console at `/` (public; the API stays under /v1).
  console::AddStaticRoutes(router_, options.console_dir);
  auth::AddAuthRoutes(router_, *auth_store_, *login_limiter_, {options.secure_cookies});
}

}  // namespace loupe::app
