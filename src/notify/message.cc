#include "notify/message.h"

#include <optional>

namespace loupe::notify {
namespace {

using nlohmann::json;

constexpr size_t kMaxTypeLength = 64;
constexpr size_t kMaxSubjectLength = 200;
constexpr size_t kMaxMessageIdLength = 256;
constexpr size_t kMaxDetailBytes = size_t{64} * 1024;

bool IsAsciiAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool HasControl(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

Result<std::string> JsonStringField(const json& input, const char* name, bool required) {
  auto it = input.find(name);
  if (it == input.end() || it->is_null()) {
    if (required) return InvalidArgumentError(std::string(name) + " is required");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgumentError(std::string(name) + " must be a string");
  return it->get<std::string>();
}

Result<Topic> ParseTopic(std::string_view name) {
  if (std::optional<Topic> topic = kTopicNames.Find(name)) return *topic;
  return InvalidArgumentError("unknown topic '" + std::string(name) + "' (" +
                              kTopicNames.Joined("|") + ")");
}

Status ValidatePublishRequest(const PublishRequest& request) {
  const std::string& type = request.type;
  if (type.empty() || type.size() > kMaxTypeLength || !IsAsciiAlpha(type[0])) {
    return InvalidArgumentError("Type must match [A-Za-z][A-Za-z0-9]{0,63}");
  }
  for (char c : type) {
    if (!IsAsciiAlpha(c) && !IsAsciiDigit(c)) {
      return InvalidArgumentError("Type must match [A-Za-z][A-Za-z0-9]{0,63}");
    }
  }
  if (request.subject.empty() || request.subject.size() > kMaxSubjectLength ||
      HasControl(request.subject)) {
    return InvalidArgumentError("Subject must be 1..200 bytes without control characters");
  }
  if (request.message_id.size() > kMaxMessageIdLength || HasControl(request.message_id)) {
    return InvalidArgumentError("MessageId must be at most 256 bytes without control characters");
  }
  if (!request.detail.is_object()) return InvalidArgumentError("Detail must be a JSON object");
  if (request.detail.dump().size() > kMaxDetailBytes) {
    return InvalidArgumentError("Detail must be at most 64 KiB of JSON");
  }
  return Status::Ok();
}

PublishRequest Sanitized(PublishRequest request) {
  std::string& subject = request.subject;
  for (char& c : subject) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (subject.size() > kMaxSubjectLength) {
    size_t cut = kMaxSubjectLength - 3;
    while (cut > 0 && (static_cast<unsigned char>(subject[cut]) & 0xC0) == 0x80) --cut;
    subject = subject.substr(0, cut) + "...";
  }
  if (subject.empty()) subject = request.type;
  if (!request.detail.is_object()) request.detail = json{{"Value", request.detail}};
  return request;
}

Result<PublishRequest> ParsePublishRequest(const json& input) {
  if (!input.is_object()) {
    return InvalidArgumentError("expected {\"Topic\",\"Type\",\"Subject\",\"Detail\"?}");
  }
  PublishRequest request;
  ASSIGN_OR_RETURN(std::string topic, JsonStringField(input, "Topic", true));
  ASSIGN_OR_RETURN(request.topic, ParseTopic(topic));
  ASSIGN_OR_RETURN(request.type, JsonStringField(input, "Type", true));
  ASSIGN_OR_RETURN(request.subject, JsonStringField(input, "Subject", true));
  ASSIGN_OR_RETURN(request.message_id, JsonStringField(input, "MessageId", false));
  if (auto it = input.find("Detail"); it != input.end() && !it->is_null()) request.detail = *it;
  RETURN_IF_ERROR(ValidatePublishRequest(request));
  return request;
}

json MessageJson(const Message& message) {
  return {{"Sequence", message.sequence},
          {"MessageId", message.id},
          {"Topic", std::string(TopicName(message.topic))},
          {"Type", message.type},
          {"Subject", message.subject},
          {"Detail", message.detail},
          {"Time", FormatRfc3339(message.time)}};
}

}  // namespace loupe::notify
