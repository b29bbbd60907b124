#include "db/database.h"

#include "core/check.h"

namespace loupe::db {

const Value& Row::at(size_t i) const {
  CHECK(i < values_.size()) << "column " << i << " out of range";
  return values_[i];
}

bool Row::IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(at(i)); }

int64_t Row::Int(size_t i) const {
  const Value& v = at(i);
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  CHECK(std::holds_alternative<int64_t>(v)) << "column " << i << " is not an integer";
  return std::get<int64_t>(v);
}

double Row::Double(size_t i) const {
  const Value& v = at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  CHECK(std::holds_alternative<double>(v)) << "column " << i << " is not a number";
  return std::get<double>(v);
}

const std::string& Row::Text(size_t i) const {
  const Value& v = at(i);
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  CHECK(std::holds_alternative<std::string>(v)) << "column " << i << " is not text";
  return std::get<std::string>(v);
}

const std::string& Row::Bytes(size_t i) const { return Text(i); }

std::optional<int64_t> Row::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

Result<std::optional<Row>> Transaction::QueryOne(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  if (rows.size() > 1) {
    return InternalError("query returned more than one row: " + std::string(sql));
  }
  return std::optional<Row>(std::move(rows.front()));
}

}  // namespace loupe::db
