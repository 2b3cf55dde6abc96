#include "models/seq2seq_config.h"

namespace attn {
namespace {

// generation_config.json (merged under "generation") before config.json.
const nlohmann::json* find_key(const ConfigReader& config, const char* key) {
  const auto& json = config.json();
  if (json.contains("generation") && json["generation"].contains(key) && !json["generation"][key].is_null()) {
    return &json["generation"][key];
  }
  if (json.contains(key) && !json[key].is_null()) return &json[key];
  return nullptr;
}

TokenId token_id(const ConfigReader& config, const char* key, TokenId fallback) {
  const nlohmann::json* value = find_key(config, key);
  if (!value) return fallback;
  if (!value->is_number_integer() || value->get<int64_t>() < 0 || value->get<int64_t>() > (int64_t{1} << 30)) {
    config.fail(std::string("'") + key + "' must be a token id, got " + value->dump());
  }
  return value->get<TokenId>();
}

int count(const ConfigReader& config, const char* key, int fallback) {
  const nlohmann::json* value = find_key(config, key);
  if (!value) return fallback;
  if (!value->is_number_integer() || value->get<int64_t>() < 0 || value->get<int64_t>() > (int64_t{1} << 30)) {
    config.fail(std::string("'") + key + "' must be a non-negative integer, got " + value->dump());
  }
  return value->get<int>();
}

}  // namespace

Seq2SeqConfig read_seq2seq_config(const ConfigReader& config, int source_positions) {
  Seq2SeqConfig s;
  if (!find_key(config, "decoder_start_token_id")) config.fail("missing required key 'decoder_start_token_id'");
  s.decoder_start_id = token_id(config, "decoder_start_token_id", 0);
  s.forced_eos_id = token_id(config, "forced_eos_token_id", -1);
  s.source_positions = source_positions;
  s.max_length = count(config, "max_length", 20);  // Hugging Face's default
  s.num_beams = std::max(1, count(config, "num_beams", 1));
  s.no_repeat_ngram_size = count(config, "no_repeat_ngram_size", 0);
  if (const nlohmann::json* penalty = find_key(config, "length_penalty")) {
    if (!penalty->is_number()) config.fail("'length_penalty' must be a number, got " + penalty->dump());
    s.length_penalty = penalty->get<float>();
  }
  if (const nlohmann::json* early = find_key(config, "early_stopping")) {
    if (early->is_boolean()) {
      s.early_stopping = early->get<bool>() ? "true" : "false";
    } else if (*early == "never") {
      s.early_stopping = "never";
    } else {
      config.fail("'early_stopping' must be true, false or \"never\", got " + early->dump());
    }
  }
  // Lists of one token are suppressed outright; longer sequences would need
  // matching against the hypothesis, which no supported model's config uses.
  if (const nlohmann::json* bad = find_key(config, "bad_words_ids")) {
    if (!bad->is_array()) config.fail("'bad_words_ids' must be a list of token id lists");
    for (const auto& words : *bad) {
      if (!words.is_array() || words.size() != 1 || !words[0].is_number_integer() || words[0].get<int64_t>() < 0) {
        config.fail("'bad_words_ids' entries must be lists of one token id; got " + words.dump());
      }
      s.suppressed_ids.push_back(words[0].get<TokenId>());
    }
  }
  return s;
}

}  // namespace attn
