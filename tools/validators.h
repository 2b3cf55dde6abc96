// Option checks with messages a user can act on (CLI11's built-in number
// validators print ranges like "0 to 1.79769e+308").
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace attn::cli {

// A number in [min, max]; `what` describes the allowed values for messages.
inline CLI::Validator number_in(double min, double max, const std::string& what) {
  return CLI::Validator(
      [min, max, what](std::string& value) -> std::string {
        double number = 0;
        if (!CLI::detail::lexical_cast(value, number)) return "'" + value + "' is not a number";
        if (number < min || number > max) return "'" + value + "' is out of range: must be " + what;
        return {};
      },
      what);
}

inline CLI::Validator non_negative() { return number_in(0, 1e300, ">= 0"); }
inline CLI::Validator positive() { return number_in(1e-300, 1e300, "> 0"); }
inline CLI::Validator probability() { return number_in(0, 1, "between 0 and 1"); }

// One of `names` (weight types: "int8", "bf16", ...).
inline CLI::Validator weight_type(std::vector<std::string> names) {
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  return CLI::Validator(
      [names, list](std::string& value) -> std::string {
        for (const std::string& name : names) {
          if (value == name) return {};
        }
        return "'" + value + "' is not a weight type: must be one of " + list;
      },
      list);
}

}  // namespace attn::cli
