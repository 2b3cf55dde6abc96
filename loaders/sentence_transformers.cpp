#include "loaders/sentence_transformers.h"

#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "json/checked.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) { return read_json_file(path); }

// 1_Pooling/config.json: exactly one of the supported modes must be on
// (several would concatenate vectors, which attn does not do).
std::string read_pooling(const fs::path& path) {
  const json config = read_json(path);
  const std::pair<const char*, const char*> supported[] = {{"pooling_mode_mean_tokens", "mean"},
                                                           {"pooling_mode_cls_token", "cls"},
                                                           {"pooling_mode_max_tokens", "max"},
                                                           {"pooling_mode_lasttoken", "last"}};
  for (const char* unsupported : {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens"}) {
    if (config.value(unsupported, false)) {
      throw Error(path.string() + ": " + unsupported + " is not supported; attn pools by mean, cls, max or last token");
    }
  }
  std::optional<std::string> mode;
  for (const auto& [key, pooling] : supported) {
    if (!config.value(key, false)) continue;
    if (mode) throw Error(path.string() + ": several pooling modes are on; attn supports exactly one");
    mode = pooling;
  }
  if (!mode) throw Error(path.string() + ": no pooling mode is on; set one of pooling_mode_mean_tokens, ...");
  return *mode;
}

}  // namespace

std::map<std::string, std::string> read_sentence_transformers(const fs::path& dir) {
  std::map<std::string, std::string> config;
  const fs::path modules_path = dir / "modules.json";
  std::error_code ignored;
  const fs::path settings_path = dir / "sentence_bert_config.json";
  if (fs::is_regular_file(settings_path, ignored)) {
    const json settings = read_json(settings_path);
    const auto length = settings.find("max_seq_length");
    if (length != settings.end() && !length->is_null()) {
      const auto number = json_integer(*length, 1, 1 << 30);
      if (!number) throw Error(settings_path.string() + ": max_seq_length must be a positive integer");
      config[kMaxSeqLengthKey] = std::to_string(*number);
    }
  }
  if (!fs::is_regular_file(modules_path, ignored)) return config;
  const json modules = read_json(modules_path);
  if (!modules.is_array()) throw Error(modules_path.string() + ": expected a JSON array of modules");
  for (const json& module : modules) {
    const std::string type = module.value("type", "");
    const std::string path = module.value("path", "");
    if (type == "sentence_transformers.models.Transformer" && path.empty()) continue;  // the model in `dir`
    if (type == "sentence_transformers.models.Pooling") {
      config[kPoolingKey] = read_pooling(dir / path / "config.json");
    } else if (type == "sentence_transformers.models.Normalize") {
      config[kNormalizeKey] = "true";
    } else {
      throw Error(modules_path.string() + ": module '" + type + "'" + (path.empty() ? "" : " at '" + path + "'") +
                  " is not supported; attn runs Transformer (in the directory itself), Pooling and Normalize");
    }
  }
  return config;
}

}  // namespace attn
