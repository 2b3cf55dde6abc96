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

// object[key] when it is of the expected JSON type; absent or null: the fallback.
bool flag(const json& object, const char* key, const fs::path& path) {
  if (!object.contains(key) || object[key].is_null()) return false;
  if (!object[key].is_boolean()) throw Error(path.string() + ": " + key + " must be true or false");
  return object[key].get<bool>();
}

std::string text(const json& object, const char* key, const fs::path& path) {
  if (!object.contains(key) || object[key].is_null()) return "";
  if (!object[key].is_string()) throw Error(path.string() + ": a module's \"" + key + "\" must be a string");
  return object[key].get<std::string>();
}

// 1_Pooling/config.json: exactly one of the supported modes must be on
// (several would concatenate vectors, which attn does not do).
std::string read_pooling(const fs::path& path) {
  const json config = read_json(path);
  if (!config.is_object()) throw Error(path.string() + ": expected a JSON object of pooling settings");
  const std::pair<const char*, const char*> supported[] = {{"pooling_mode_mean_tokens", "mean"},
                                                           {"pooling_mode_cls_token", "cls"},
                                                           {"pooling_mode_max_tokens", "max"},
                                                           {"pooling_mode_lasttoken", "last"}};
  for (const char* unsupported : {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens"}) {
    if (flag(config, unsupported, path)) {
      throw Error(path.string() + ": " + unsupported + " is not supported; attn pools by mean, cls, max or last token");
    }
  }
  std::optional<std::string> mode;
  for (const auto& [key, pooling] : supported) {
    if (!flag(config, key, path)) continue;
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
    if (!module.is_object()) throw Error(modules_path.string() + ": expected a JSON array of module objects");
    const std::string type = text(module, "type", modules_path);
    const std::string path = text(module, "path", modules_path);
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
