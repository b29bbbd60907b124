#pragma once
// The AWS protocol routes on loupe's own port (docs/aws-compatibility.md), so that pointing an
// AWS SDK's endpoint_url at loupe is the whole migration: `POST /` with X-Amz-Target
// "RekognitionService.*" or "AmazonSSM.*" (JSON 1.1), the A2I runtime under /human-loops
// (REST-JSON), and S3 path-style under /<bucket>. Callers sign with SigV4 using an AWS key of a
// loupe user (auth: `loupe tokens create --aws`); the role rules of docs/auth.md apply per
// action, and every error — refusals included — comes in the service's own shape.
// Handlers borrow the services; thread-safe when they are.

#include "aws/http/protocol.h"
#include "aws/multipart.h"
#include "detect/detect_service.h"
#include "models/model_service.h"
#include "params/parameter_store.h"
#include "review/review_service.h"
#include "server/router.h"
#include "store/object_store.h"
#include "training/training_runner.h"

namespace loupe::aws {

// The loupe services behind the AWS actions (all borrowed; they must outlive the routes).
struct AwsBackends {
  params::ParameterStore& params;
  detect::DetectService& detect;
  models::ModelService& models;
  training::TrainingRunner& training;
  review::ReviewService& reviews;
  store::ObjectStore& store;
  MultipartUploads& multipart;
};

// Adds every AWS route. Add before routes with catch-all patterns.
void AddAwsRoutes(server::Router& router, const AwsBackends& backends, const AwsOptions& options);

}  // namespace loupe::aws
