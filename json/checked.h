// The one way attn reads JSON from files and numbers out of JSON: every
// nlohmann error (syntax, a number too large for a double such as 1e5360)
// becomes an attn::Error naming where the JSON came from, and integers are
// range-checked instead of converted with a silent wrap (4294967297 -> 1) or
// undefined behaviour (5.17e20 -> int).
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attn {

// `origin` names the text in errors (a file path, "stdin line 3", ...).
nlohmann::json parse_json(std::string_view text, const std::string& origin);
nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& origin);
// Reads and parses a whole file; errors name the path.
nlohmann::json read_json_file(const std::filesystem::path& path);

// The value as an integer in [min, max]; nullopt if it is not a JSON integer
// (floats such as 5.0 or 5.17e20 included) or lies outside the range.
std::optional<int64_t> json_integer(const nlohmann::json& value, int64_t min, int64_t max);

// As json_integer, for any integral T, throwing attn::Error
// "WHERE: expected an integer in [min, max], got VALUE" instead of nullopt.
int64_t require_json_integer(const nlohmann::json& value, int64_t min, int64_t max, std::string_view where);

template <class T>
T json_int(const nlohmann::json& value, std::string_view where) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= sizeof(int64_t));
  const int64_t max = std::numeric_limits<T>::max() > static_cast<uint64_t>(INT64_MAX)
                          ? INT64_MAX
                          : static_cast<int64_t>(std::numeric_limits<T>::max());
  return static_cast<T>(require_json_integer(value, static_cast<int64_t>(std::numeric_limits<T>::min()), max, where));
}

}  // namespace attn
