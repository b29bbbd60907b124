#pragma once
// Role: who may call an HTTP route and what an account is. Every route declares the role it
// needs (server/); every account has one of consumer, reviewer, operator, admin (auth/);
// HttpServer admits a caller when RoleAllows(caller's role, route's role). kAuthenticated is a
// route requirement only ("any signed-in account": /v1/auth/me, logout, own password).
// Pure; thread-safe.

#include <string_view>

#include "core/enum_table.h"
#include "core/result.h"

namespace loupe {

enum class Role { kPublic, kAuthenticated, kConsumer, kReviewer, kOperator, kAdmin };

// The one string table of Role; persisted roles (auth's users table) go through it.
inline constexpr EnumTable<Role, 6> kRoleNames{{{{Role::kPublic, "public"},
                                                 {Role::kAuthenticated, "authenticated"},
                                                 {Role::kConsumer, "consumer"},
                                                 {Role::kReviewer, "reviewer"},
                                                 {Role::kOperator, "operator"},
                                                 {Role::kAdmin, "admin"}}}};

inline std::string_view RoleName(Role role) { return kRoleNames.Name(role); }

// Inverse of RoleName; InvalidArgument naming the account roles for an unknown name.
Result<Role> ParseRole(std::string_view name);

// Whether a caller with role `have` may call a route that needs `need`: kPublic routes are
// open to all; kAuthenticated routes to every account; admin may call everything; an operator
// may also call consumer routes (upload and detect, to try a model) and reviewer routes (small
// teams review; ties escalate to operators); otherwise the roles must match.
bool RoleAllows(Role have, Role need);

}  // namespace loupe
