// Typed access to a model's config.json with errors that name the file and
// the key, so a bad config never becomes silent garbage.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace attn {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string source) : config_(config), source_(std::move(source)) {}

  int require_int(const char* key) const;               // > 0
  int get_int(const char* key, int fallback) const;     // > 0 when present
  double get_double(const char* key, double fallback) const;
  bool get_bool(const char* key, bool fallback) const;
  std::string get_string(const char* key, const std::string& fallback) const;
  bool is_null_or_absent(const char* key) const;
  const nlohmann::json& json() const { return config_; }
  const std::string& source() const { return source_; }

  [[noreturn]] void fail(const std::string& problem) const;

 private:
  const nlohmann::json& config_;
  std::string source_;
};

}  // namespace attn
