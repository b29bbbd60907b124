#pragma once
// Value types of human review (docs/review.md): a human loop's status and its string table,
// the loop's input and state, a reviewer's task, the caller seen by the review service, and
// the validation of labels, loop names and teams. Value types; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/result.h"

namespace loupe::review {

// A loop is InProgress until its answers are consolidated (Completed), tied (Escalated, until
// an operator resolves it -> Completed), stopped by an operator (Stopped) or left unanswered
// past its availability lifetime (Expired).
enum class LoopStatus { kInProgress, kCompleted, kEscalated, kStopped, kExpired };

// The one string table of LoopStatus; persisted statuses (review_loops.status) go through it.
inline constexpr EnumTable<LoopStatus, 5> kLoopStatusNames{
    {{{LoopStatus::kInProgress, "InProgress"},
      {LoopStatus::kCompleted, "Completed"},
      {LoopStatus::kEscalated, "Escalated"},
      {LoopStatus::kStopped, "Stopped"},
      {LoopStatus::kExpired, "Expired"}}}};

inline std::string_view LoopStatusName(LoopStatus status) { return kLoopStatusNames.Name(status); }
// Inverse of LoopStatusName; InvalidArgument listing the statuses for an unknown name.
Result<LoopStatus> ParseLoopStatus(std::string_view name);

inline constexpr int64_t kMaxAvailabilitySeconds = int64_t{10} * 24 * 3600;
inline constexpr int64_t kDefaultTaskTimeLimitSeconds = 3600;
inline constexpr int kMaxTaskCount = 5;
inline constexpr std::string_view kDefaultTeam = "default";
// The folder of "none of these" answers under images_labeled_by_folder/.
inline constexpr std::string_view kNoneFolder = "_none";
inline constexpr std::string_view kLabeledPrefix = "images_labeled_by_folder/";

// A label: 1..100 bytes, no '/', no "..", no control characters, not starting with '_'
// (reserved folders such as _none/).
Status ValidateLabel(std::string_view label);
// A loop name as in A2I: 1..63 of lower-case letters, digits and '-', starting and ending with
// a letter or digit.
Status ValidateLoopName(std::string_view name);
// A team (workforce) name: 1..64 of letters, digits, '-', '_' and '.'.
Status ValidateTeam(std::string_view team);

struct ModelAnswer {
  std::optional<std::string> name;  // null when the model gave no label
  double confidence = 0;            // 0..100
};

// What a caller asks for; CreateLoop fills in the defaults.
struct LoopInput {
  std::string name;
  std::string image;  // object key
  std::vector<std::string> choices;
  ModelAnswer model_answer;
  int task_count = 1;
  std::string team = std::string(kDefaultTeam);
  int64_t availability_seconds = kMaxAvailabilitySeconds;
  int64_t task_time_limit_seconds = kDefaultTaskTimeLimitSeconds;
};

// One reviewer's answer; `label` is null for "none of these".
struct Answer {
  std::string task_id;
  std::string worker;
  std::optional<std::string> label;
  bool new_label = false;
  TimePoint accepted;   // when the worker claimed the task
  TimePoint submitted;  // when the answer came
};

struct LoopInfo {
  LoopInput input;
  LoopStatus status = LoopStatus::kInProgress;
  TimePoint created;
  TimePoint expires;  // end of the availability lifetime
  std::optional<TimePoint> completed;
  // Set once the loop is Completed: the consolidated label (null = none of these).
  std::optional<std::string> label;
  std::string decided_by;       // "majority" or the operator who resolved a tie
  std::vector<Answer> answers;  // submitted answers, in submission order
  std::string output_key;       // human_loops/<name>/output.json once Completed
};

// A claimed task, as the reviewer's console shows it.
struct TaskInfo {
  std::string task_id;
  std::string loop_name;
  std::string image;
  std::vector<std::string> choices;
  ModelAnswer model_answer;
  TimePoint expires;  // end of the lease
};

// Who calls: the worker id, the teams whose loops it may see, or all (operators, admins, and
// the app itself).
struct Caller {
  std::string worker;
  bool all_teams = false;
  std::vector<std::string> teams;
  bool MaySee(std::string_view team) const;
};

struct TaskStats {
  int64_t queue_length = 0;  // tasks this caller could claim now
  int64_t done_today = 0;    // answers by this caller since 00:00 UTC
  int64_t done_total = 0;    // answers by this caller
};

struct FilingResult {
  std::string loop;
  std::string key;                   // images_labeled_by_folder/<label or _none>/<loop>-<file>
  std::optional<std::string> label;  // null = none of these
  std::vector<std::string> workers;
  TimePoint filed;
  bool newly_filed = false;  // false when an earlier call filed it
};

struct ReviewSettings {
  bool allow_new_labels = false;
};

}  // namespace loupe::review
