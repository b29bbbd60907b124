#pragma once
// Notification messages: the topics, the message shape every channel carries (webhook body,
// e-mail, feed, SSE) and the validation of what publishers pass in. Value types;
// thread-compatible.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/enum_table.h"
#include "core/result.h"

namespace loupe::notify {

// Who a message is for: operators (training, deployment, review) or consumers (detections).
enum class Topic { kOperator, kConsumer };

// The one string table of Topic; stored topics (messages, subscriptions) go through it.
inline constexpr EnumTable<Topic, 2> kTopicNames{
    {{{Topic::kOperator, "operator"}, {Topic::kConsumer, "consumer"}}}};

inline std::string_view TopicName(Topic topic) { return kTopicNames.Name(topic); }
// "operator" | "consumer"; InvalidArgument otherwise.
Result<Topic> ParseTopic(std::string_view name);

// Message types loupe publishes (Type is open: any name matching [A-Za-z][A-Za-z0-9]{0,63}).
inline constexpr std::string_view kTrainingStarted = "TrainingStarted";
inline constexpr std::string_view kTrainingSucceeded = "TrainingSucceeded";
inline constexpr std::string_view kTrainingFailed = "TrainingFailed";
inline constexpr std::string_view kGateFailed = "GateFailed";
inline constexpr std::string_view kDeployed = "Deployed";
inline constexpr std::string_view kRolledBack = "RolledBack";
inline constexpr std::string_view kHumanLoopCreated = "HumanLoopCreated";
inline constexpr std::string_view kHumanLoopCompleted = "HumanLoopCompleted";
inline constexpr std::string_view kDetectionBelowThreshold = "DetectionBelowThreshold";
inline constexpr std::string_view kParameterChanged = "ParameterChanged";
inline constexpr std::string_view kWorkflowFailed = "WorkflowFailed";

// What a publisher asks for. `message_id` is optional: empty = a fresh random id; a given id
// makes publishing idempotent (the same id publishes at most one message).
struct PublishRequest {
  Topic topic = Topic::kOperator;
  std::string type;
  std::string subject;
  nlohmann::json detail = nlohmann::json::object();
  std::string message_id;
};

// Checks type, subject, detail and message id (see docs/notifications.md for the limits).
[[nodiscard]] Status ValidatePublishRequest(const PublishRequest& request);

// Makes a request from a program (a workflow task) acceptable where that is harmless: control
// characters in the subject become spaces, a subject over 200 bytes is cut (on a UTF-8
// boundary) and ends in "...", an empty subject becomes the type, and a Detail that is not an
// object is wrapped as {"Value": detail}. Type, topic and id are left as they are.
PublishRequest Sanitized(PublishRequest request);

// The string field `name` of the object `input`: missing or null is "" or, when `required`,
// InvalidArgument "<name> is required"; a non-string is InvalidArgument.
Result<std::string> JsonStringField(const nlohmann::json& input, const char* name, bool required);

// Reads {"Topic","Type","Subject","Detail"?,"MessageId"?} (the input of the workflow task
// `loupe:notify` and of POST bodies); validates it.
Result<PublishRequest> ParsePublishRequest(const nlohmann::json& input);

// A stored message. `sequence` orders all messages (both topics) and is the SSE event id.
struct Message {
  int64_t sequence = 0;
  std::string id;
  Topic topic = Topic::kOperator;
  std::string type;
  std::string subject;
  nlohmann::json detail;
  TimePoint time;
};

// {"Sequence","MessageId","Topic","Type","Subject","Detail","Time"} (Time in RFC 3339).
nlohmann::json MessageJson(const Message& message);

}  // namespace loupe::notify
