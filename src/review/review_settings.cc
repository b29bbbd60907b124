// The review settings: their rows in review_settings, and ReviewService's Settings/SetSettings.
#include "review/review_settings.h"

#include <optional>
#include <string>
#include <string_view>

#include "review/review_service.h"

namespace loupe::review {
namespace {

constexpr std::string_view kAllowNewLabels = "AllowNewLabels";

}  // namespace

Result<bool> AllowNewLabels(db::Transaction& tx) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   tx.QueryOne("SELECT value FROM review_settings WHERE name = ?",
                               {std::string(kAllowNewLabels)}));
  return row && row->Text(0) == "true";
}

Result<ReviewSettings> ReadSettings(db::Transaction& tx) {
  ReviewSettings settings;
  ASSIGN_OR_RETURN(settings.allow_new_labels, AllowNewLabels(tx));
  return settings;
}

Status WriteSettings(db::Transaction& tx, const ReviewSettings& settings) {
  return tx
      .Exec(
          "INSERT INTO review_settings(name, value) VALUES (?, ?) "
          "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
          {std::string(kAllowNewLabels), std::string(settings.allow_new_labels ? "true" : "false")})
      .status();
}

Result<ReviewSettings> ReviewService::Settings() {
  ReviewSettings settings;
  RETURN_IF_ERROR(db_.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(settings, ReadSettings(tx));
    return Status::Ok();
  }));
  return settings;
}

Status ReviewService::SetSettings(const ReviewSettings& settings) {
  return db_.Write([&](db::Transaction& tx) { return WriteSettings(tx, settings); });
}

}  // namespace loupe::review
