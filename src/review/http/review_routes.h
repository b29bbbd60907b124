#pragma once
// HTTP routes of human review (docs/review.md): human loops (create, list, describe, stop,
// resolve, image), the reviewers' task queue (next, answer, release, stats), images of
// reviewable loops, filings and the review settings. Thin handlers over ReviewService;
// the caller's principal, role and teams come from the request (filled in by auth).

#include <nlohmann/json.hpp>

#include "review/review_service.h"
#include "server/router.h"

namespace loupe::review {

// The loop as the API shows it; `with_answers` adds each reviewer's answer (operators).
nlohmann::json LoopJson(const LoopInfo& loop, bool with_answers);
nlohmann::json FilingJson(const FilingResult& filing);
// The review view of a caller: operators and admins see every team, reviewers their own.
Caller ReviewCaller(const server::HttpRequest& req);
// Parses a POST /v1/human-loops body (defaults filled in).
Result<LoopInput> ParseLoopInput(const nlohmann::json& body);

void AddReviewRoutes(server::Router& router, ReviewService& service);

}  // namespace loupe::review
