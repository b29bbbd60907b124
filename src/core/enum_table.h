#pragma once
// EnumTable<E>: the one string table of an `enum class` (STYLE.md: states, events and roles
// have one table each; persisted values go through it, never through integer casts).
//
//   enum class Color { kRed, kBlue };
//   inline constexpr EnumTable<Color, 2> kColorNames{{{{Color::kRed, "red"},
//                                                       {Color::kBlue, "blue"}}}};
//   kColorNames.Name(Color::kRed)          -> "red"
//   kColorNames.Parse("blue", "color")     -> Color::kBlue, or InvalidArgument
//                                             "unknown color 'x' (expected red|blue)"
//
// A table is a constexpr value: lookups are linear (tables are small) and allocation-free.
// Pure; thread-safe.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace loupe {

template <typename E, std::size_t N>
struct EnumTable {
  struct Entry {
    E value;
    std::string_view name;
  };
  std::array<Entry, N> entries;

  // The name of `value`; "UNKNOWN" for a value missing from the table (a programming error
  // that tests of each table rule out).
  [[nodiscard]] constexpr std::string_view Name(E value) const {
    for (const Entry& e : entries) {
      if (e.value == value) return e.name;
    }
    return "UNKNOWN";
  }
  // The value named `name`, if any (exact, case-sensitive).
  [[nodiscard]] constexpr std::optional<E> Find(std::string_view name) const {
    for (const Entry& e : entries) {
      if (e.name == name) return e.value;
    }
    return std::nullopt;
  }
  // The value named `name`; InvalidArgument naming `what` and the accepted names otherwise.
  [[nodiscard]] Result<E> Parse(std::string_view name, std::string_view what) const {
    if (std::optional<E> v = Find(name)) return *v;
    return InvalidArgumentError("unknown " + std::string(what) + " '" + std::string(name) +
                                "' (expected " + Joined("|") + ")");
  }
  // Every value, in table order.
  [[nodiscard]] std::vector<E> Values() const {
    std::vector<E> out;
    out.reserve(N);
    for (const Entry& e : entries) out.push_back(e.value);
    return out;
  }
  // The names joined by `sep`, in table order ("a|b|c").
  [[nodiscard]] std::string Joined(std::string_view sep) const {
    std::string out;
    for (const Entry& e : entries) {
      if (!out.empty()) out += sep;
      out += e.name;
    }
    return out;
  }
  [[nodiscard]] static constexpr std::size_t size() { return N; }
};

}  // namespace loupe
