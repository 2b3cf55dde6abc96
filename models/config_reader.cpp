#include "models/config_reader.h"

#include "attn/error.h"
#include "json/checked.h"

namespace attn {

void ConfigReader::fail(const std::string& problem) const { throw Error(source_ + ": " + problem); }

int ConfigReader::require_int(const char* key) const {
  // A null counts as missing: get_int would return its fallback (fuzz finding:
  // "num_attention_heads": null divided by zero).
  if (!config_.contains(key)) fail(std::string("missing required key '") + key + "'");
  if (config_[key].is_null()) fail(std::string("required key '") + key + "' is null");
  return get_int(key, 0);
}

int ConfigReader::get_int(const char* key, int fallback) const {
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  const auto& value = config_[key];
  const auto number = json_integer(value, 1, int64_t{1} << 30);
  if (!number) fail(std::string("'") + key + "' must be a positive integer, got " + value.dump());
  return static_cast<int>(*number);
}

double ConfigReader::get_double(const char* key, double fallback) const {
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  if (!config_[key].is_number()) fail(std::string("'") + key + "' must be a number, got " + config_[key].dump());
  return config_[key].get<double>();
}

bool ConfigReader::get_bool(const char* key, bool fallback) const {
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  if (!config_[key].is_boolean()) fail(std::string("'") + key + "' must be true or false, got " + config_[key].dump());
  return config_[key].get<bool>();
}

std::string ConfigReader::get_string(const char* key, const std::string& fallback) const {
  if (!config_.contains(key) || config_[key].is_null()) return fallback;
  if (!config_[key].is_string()) fail(std::string("'") + key + "' must be a string, got " + config_[key].dump());
  return config_[key].get<std::string>();
}

bool ConfigReader::is_null_or_absent(const char* key) const { return !config_.contains(key) || config_[key].is_null(); }

}  // namespace attn
