#pragma once
// PipelineReview: review's implementation of the loop's HumanReview port
// (pipeline/ports/human_review.h) over ReviewService. Thread-safe as ReviewService is.

#include "pipeline/ports/human_review.h"
#include "review/review_service.h"

namespace loupe::review {

class PipelineReview final : public pipeline::HumanReview {
 public:
  explicit PipelineReview(ReviewService& reviews) : reviews_(reviews) {}

  Result<pipeline::StartedLoop> StartLoop(const pipeline::LoopRequest& request) override;
  Result<pipeline::FiledAnswer> FileAnswer(std::string_view loop_name) override;

 private:
  ReviewService& reviews_;
};

}  // namespace loupe::review
