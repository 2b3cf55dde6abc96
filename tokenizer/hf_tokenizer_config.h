// tokenizer_config.json (and the model's config.json) beside a tokenizer:
// the settings Hugging Face transformers keeps outside tokenizer.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "tokenizer/hf_json.h"

namespace attn::hf {

struct TokenizerConfig {
  Json json = Json::object();  // tokenizer_config.json, {} when absent
  std::optional<std::string> bos_token, eos_token;
  // transformers' decode-time cleanup (" ." -> "." ...); off unless set.
  bool clean_up_tokenization_spaces = false;
};

// Reads `directory`/tokenizer_config.json when it exists. Throws
// attn::Error when it is not valid JSON.
TokenizerConfig read_tokenizer_config(const std::filesystem::path& directory);

// A special token named in tokenizer_config.json: a string or an
// {"content": ...} object.
std::optional<std::string> special_token_content(const Json& config, const char* key);

}  // namespace attn::hf
