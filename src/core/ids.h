#pragma once
// StrongId<Tag, Rep>: a distinct type per kind of id, so an EventId can't be passed where a
// ParameterVersion is expected. Value type; thread-compatible.

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace loupe {

template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  StrongId() = default;
  explicit StrongId(Rep value) : value_(std::move(value)) {}
  const Rep& value() const { return value_; }
  auto operator<=>(const StrongId&) const = default;  // NOLINT(modernize-use-nullptr): tidy 14 bug

 private:
  Rep value_{};
};

template <typename Tag, typename Rep>
std::ostream& operator<<(std::ostream& os, const StrongId<Tag, Rep>& id) {
  return os << id.value();
}

// Ids of the modules that the foundation defines; later modules declare theirs beside them.
using EventId = StrongId<struct EventIdTag, int64_t>;
using ObjectKey = StrongId<struct ObjectKeyTag, std::string>;

}  // namespace loupe

template <typename Tag, typename Rep>
struct std::hash<loupe::StrongId<Tag, Rep>> {
  size_t operator()(const loupe::StrongId<Tag, Rep>& id) const {
    return std::hash<Rep>()(id.value());
  }
};
