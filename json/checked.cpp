#include "json/checked.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "attn/error.h"

namespace attn {

namespace {

template <class J>
J parse_as(std::string_view text, const std::string& origin) {
  try {
    return J::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e5360
    throw Error(origin + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  return parse_as<nlohmann::json>(text, origin);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& origin) {
  return parse_as<nlohmann::ordered_json>(text, origin);
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot read (" + std::strerror(errno) + "); check the path and permissions");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error (" + std::strerror(errno) + ")");
  return parse_json(bytes.str(), path.string());
}

std::optional<int64_t> json_integer(const nlohmann::json& value, int64_t min, int64_t max) {
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    const auto signed_number = static_cast<int64_t>(number);
    if (signed_number < min || signed_number > max) return std::nullopt;
    return signed_number;
  }
  if (value.is_number_integer()) {
    const int64_t number = value.get<int64_t>();
    if (number < min || number > max) return std::nullopt;
    return number;
  }
  return std::nullopt;
}

int64_t require_json_integer(const nlohmann::json& value, int64_t min, int64_t max, std::string_view where) {
  const auto number = json_integer(value, min, max);
  if (!number) {
    throw Error(std::string(where) + ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                "], got " + value.dump());
  }
  return *number;
}

}  // namespace attn
