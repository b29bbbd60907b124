#include "core/role.h"

#include <optional>
#include <string>

namespace loupe {

Result<Role> ParseRole(std::string_view name) {
  if (std::optional<Role> role = kRoleNames.Find(name)) return *role;
  return InvalidArgumentError("unknown role '" + std::string(name) +
                              "' (admin, operator, reviewer, consumer)");
}

bool RoleAllows(Role have, Role need) {
  if (need == Role::kPublic || have == Role::kAdmin) return true;
  if (need == Role::kAuthenticated) return have != Role::kPublic;
  if (have == need) return true;
  return have == Role::kOperator && (need == Role::kConsumer || need == Role::kReviewer);
}

}  // namespace loupe
