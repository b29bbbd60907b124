// The JSON the shipped workflows read from the port results (task outputs).
#include <nlohmann/json.hpp>

#include "pipeline/ports/human_review.h"
#include "pipeline/ports/trainer.h"

namespace loupe::pipeline {

using nlohmann::json;

json ToJson(const StartedLoop& loop) {
  return {{"HumanLoopName", loop.name},
          {"HumanLoopStatus", loop.status},
          {"CreationTime", FormatRfc3339(loop.created)},
          {"ExpiresAt", FormatRfc3339(loop.expires)},
          {"Image", loop.image_key},
          {"Choices", loop.choices},
          {"Team", loop.team},
          {"TaskCount", loop.task_count}};
}

json ToJson(const FiledAnswer& filed) {
  return {{"HumanLoopName", filed.loop},
          {"Key", filed.key},
          {"Label", filed.label ? json(*filed.label) : json(nullptr)},
          {"Workers", filed.workers},
          {"FiledAt", FormatRfc3339(filed.filed)}};
}

json GateReport::ToJson() const {
  return {{"Candidate", candidate},    {"F1", candidate_f1},
          {"Top1", candidate_top1},    {"Champion", champion ? json(*champion) : json(nullptr)},
          {"ChampionF1", champion_f1}, {"TestImages", test_images},
          {"Tolerance", tolerance},    {"ChampionOk", champion_ok}};
}

}  // namespace loupe::pipeline
