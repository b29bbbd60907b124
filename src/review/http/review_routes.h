#pragma once
// HTTP routes of human review (docs/review.md): human loops (create, list, describe, stop,
// resolve, image), the reviewers' task queue (next, answer, release, stats), images of
// reviewable loops, filings and the review settings. Thin handlers over review::ReviewService;
// the caller's principal, role and teams come from the request (filled in by auth).
// Lives in src/review/http/ so loupe_server need not depend on loupe_review.

#include <nlohmann/json.hpp>

#include "review/review_service.h"
#include "server/router.h"

namespace loupe::server {

// The loop as the API shows it; `with_answers` adds each reviewer's answer (operators).
nlohmann::json LoopJson(const review::LoopInfo& loop, bool with_answers);
nlohmann::json FilingJson(const review::FilingResult& filing);
// The review view of a caller: operators and admins see every team, reviewers their own.
review::Caller ReviewCaller(const HttpRequest& req);
// Parses a POST /v1/human-loops body (defaults filled in).
Result<review::LoopInput> ParseLoopInput(const nlohmann::json& body);

void AddReviewRoutes(Router& router, review::ReviewService& service);

}  // namespace loupe::server
