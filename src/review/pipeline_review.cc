#include "review/pipeline_review.h"

namespace loupe::review {

Result<pipeline::StartedLoop> PipelineReview::StartLoop(const pipeline::LoopRequest& request) {
  LoopInput input;
  input.name = request.name;
  input.image = request.image_key;
  input.choices = request.choices;
  if (!request.model_label.empty()) input.model_answer.name = request.model_label;
  input.model_answer.confidence = request.model_confidence;
  ASSIGN_OR_RETURN(CreateResult created, reviews_.CreateLoop(input));
  const LoopInfo& loop = created.loop;
  return pipeline::StartedLoop{loop.input.name,  std::string(LoopStatusName(loop.status)),
                               loop.created,     loop.expires,
                               loop.input.image, loop.input.choices,
                               loop.input.team,  loop.input.task_count};
}

Result<pipeline::FiledAnswer> PipelineReview::FileAnswer(std::string_view loop_name) {
  ASSIGN_OR_RETURN(FilingResult f, reviews_.FileAnswer(loop_name));
  return pipeline::FiledAnswer{f.loop, f.key, f.label, f.workers, f.filed};
}

}  // namespace loupe::review
