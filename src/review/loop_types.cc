#include "review/loop_types.h"

#include <algorithm>
#include <optional>
#include <string>

namespace loupe::review {
namespace {

bool IsControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

}  // namespace

Result<LoopStatus> ParseLoopStatus(std::string_view name) {
  if (std::optional<LoopStatus> status = kLoopStatusNames.Find(name)) return *status;
  return InvalidArgumentError("unknown loop status '" + std::string(name) + "' (" +
                              kLoopStatusNames.Joined("|") + ")");
}

Status ValidateLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) {
    return InvalidArgumentError("a label must be 1..100 bytes");
  }
  if (label.find('/') != std::string_view::npos || label.find("..") != std::string_view::npos ||
      label.find('\\') != std::string_view::npos) {
    return InvalidArgumentError("label '" + std::string(label) +
                                "' must not contain '/', '\\' or '..'");
  }
  if (std::any_of(label.begin(), label.end(), IsControl)) {
    return InvalidArgumentError("a label must not contain control characters");
  }
  if (label.front() == '_') {
    return InvalidArgumentError("label '" + std::string(label) +
                                "' must not start with '_' (reserved folders)");
  }
  if (label == ".") return InvalidArgumentError("'.' is not a label");
  return Status::Ok();
}

Status ValidateLoopName(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back()) &&
            std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-'; });
  if (!ok) {
    return InvalidArgumentError(
        "HumanLoopName must be 1..63 lower-case letters, digits and '-', starting and ending "
        "with a letter or digit");
  }
  return Status::Ok();
}

Status ValidateTeam(std::string_view team) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  if (team.empty() || team.size() > 64 || !std::all_of(team.begin(), team.end(), allowed)) {
    return InvalidArgumentError("a team must be 1..64 letters, digits, '-', '_' or '.'");
  }
  return Status::Ok();
}

bool Caller::MaySee(std::string_view team) const {
  return all_teams || std::find(teams.begin(), teams.end(), team) != teams.end();
}

}  // namespace loupe::review
