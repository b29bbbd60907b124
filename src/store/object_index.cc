#include "store/object_index.h"

#include <cstdint>

namespace loupe::store::index {
namespace {

// Appends code point `cp` as UTF-8.
void AppendUtf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The smallest string greater than every string that starts with `prefix`, if there is one:
// the prefix with its last code point incremented. UTF-8 orders bytes as it orders code points,
// so the bound is exact, and it stays valid UTF-8 for engines that check (PostgreSQL).
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    auto lead = static_cast<unsigned char>(s[start]);
    size_t len = s.size() - start;
    size_t expected = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (expected != len) {
      // Not UTF-8 (keys are; a prefix may not be): increment the last byte instead.
      auto last = static_cast<unsigned char>(s.back());
      if (last < 0xFF) {
        s.back() = static_cast<char>(last + 1);
        return s;
      }
      s.pop_back();
      continue;
    }
    uint32_t cp = len == 1 ? lead : lead & (0x7F >> len);
    for (size_t i = start + 1; i < s.size(); ++i) cp = (cp << 6) | (s[i] & 0x3F);
    s.resize(start);
    if (cp >= 0x10FFFF) continue;  // no greater code point: carry into the one before
    ++cp;
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xE000;  // skip the surrogates
    AppendUtf8(s, cp);
    return s;
  }
  return std::nullopt;
}

}  // namespace

ObjectInfo InfoFromRow(const db::Row& row) {
  ObjectInfo info;
  info.key = row.Text(0);
  info.size = row.Int(1);
  info.sha256 = row.Text(2);
  info.modified = FromUnixMillis(row.Int(3));
  return info;
}

Result<ObjectInfo> Head(const db::Database& db, std::string_view table, std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::optional<ObjectInfo> info;
  const std::string sql =
      "SELECT key, size, sha256, modified_ms FROM " + std::string(table) + " WHERE key = ?";
  RETURN_IF_ERROR(db.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(sql, {std::string(key)}));
    if (row.has_value()) info = InfoFromRow(*row);
    return Status::Ok();
  }));
  if (!info.has_value()) return NotFoundError("no object '" + std::string(key) + "'");
  return *std::move(info);
}

Result<ListPage> List(const db::Database& db, std::string_view table, std::string_view prefix,
                      std::string_view page_token, int max_keys) {
  if (max_keys < 1 || max_keys > 1000) {
    return InvalidArgumentError("max_keys must be 1..1000, not " + std::to_string(max_keys));
  }
  std::string sql = "SELECT key, size, sha256, modified_ms FROM " + std::string(table) +
                    " WHERE key >= ? AND key > ?";
  db::Params params = {std::string(prefix), std::string(page_token)};
  if (auto upper = PrefixUpperBound(prefix); upper.has_value()) {
    sql += " AND key < ?";
    params.emplace_back(*std::move(upper));
  }
  sql += " ORDER BY key LIMIT ?";
  params.emplace_back(static_cast<int64_t>(max_keys) + 1);
  ListPage page;
  RETURN_IF_ERROR(db.Read([&](db::Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(sql, params));
    page.objects.clear();
    for (const db::Row& row : rows) page.objects.push_back(InfoFromRow(row));
    return Status::Ok();
  }));
  if (page.objects.size() > static_cast<size_t>(max_keys)) {
    page.objects.resize(static_cast<size_t>(max_keys));
    page.next_page_token = page.objects.back().key;
  }
  return page;
}

}  // namespace loupe::store::index
