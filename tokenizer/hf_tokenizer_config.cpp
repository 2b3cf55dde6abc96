#include "tokenizer/hf_tokenizer_config.h"

#include "attn/error.h"

namespace attn::hf {
namespace {

namespace fs = std::filesystem;

// transformers' GPT-2 tokenizer classes use <|endoftext|> as BOS and EOS
// without naming it in tokenizer_config.json.
bool is_gpt2_family(const Json& config, const fs::path& directory) {
  if (get_or<std::string>(config, "tokenizer_class", "").starts_with("GPT2")) return true;
  std::error_code error;
  const fs::path model_config = directory / "config.json";
  if (!fs::is_regular_file(model_config, error)) return false;
  return get_or<std::string>(read_json_file(model_config), "model_type", "") == "gpt2";
}

}  // namespace

std::optional<std::string> special_token_content(const Json& config, const char* key) {
  if (!has(config, key)) return std::nullopt;
  const Json& value = config.at(key);
  if (value.is_string()) return value.get<std::string>();
  if (has(value, "content")) return value.at("content").get<std::string>();
  return std::nullopt;
}

TokenizerConfig read_tokenizer_config(const fs::path& directory) {
  TokenizerConfig config;
  std::error_code error;
  const fs::path path = directory / "tokenizer_config.json";
  if (fs::is_regular_file(path, error)) config.json = read_json_file(path);
  try {
    config.bos_token = special_token_content(config.json, "bos_token");
    config.eos_token = special_token_content(config.json, "eos_token");
    config.clean_up_tokenization_spaces = get_or(config.json, "clean_up_tokenization_spaces", false);
    if (!config.bos_token && !config.eos_token && is_gpt2_family(config.json, directory)) {
      config.bos_token = config.eos_token = "<|endoftext|>";
    }
  } catch (const Json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
  return config;
}

}  // namespace attn::hf
