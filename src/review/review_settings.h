#pragma once
// The review settings (table review_settings; internal to loupe_review): whether reviewers may
// propose labels that are not among a loop's choices. Runs inside the caller's transaction.
// Stateless; thread-safe.

#include "core/result.h"
#include "db/database.h"
#include "review/loop_types.h"

namespace loupe::review {

// Whether the AllowNewLabels setting is on (off until an operator sets it).
Result<bool> AllowNewLabels(db::Transaction& tx);

Result<ReviewSettings> ReadSettings(db::Transaction& tx);
Status WriteSettings(db::Transaction& tx, const ReviewSettings& settings);

}  // namespace loupe::review
