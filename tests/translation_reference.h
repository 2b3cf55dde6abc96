// What the translation tests share: reading a reference written by
// tests/fixtures/gen_translation_fixtures.py or gen_t5_fixtures.py, and
// comparing with it.
#pragma once

#include <cmath>
#include <limits>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "attn/translate.h"
#include "test_support.h"

namespace attn::test {

inline nlohmann::json translation_reference(const std::string& name) {
  return nlohmann::json::parse(read_file(fixtures_dir() / "translation" / (name + "_reference.json")));
}

inline float max_diff(std::span<const float> got, const nlohmann::json& expected) {
  if (got.size() != expected.size()) return std::numeric_limits<float>::infinity();
  float worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - expected[i].get<float>()));
  return worst;
}

// The TranslateOptions of a reference's beam settings (generate()'s keyword arguments).
inline TranslateOptions options_for(const nlohmann::json& settings, int max_new_tokens) {
  TranslateOptions options;
  options.beam_size = settings["num_beams"].get<int>();
  options.max_new_tokens = max_new_tokens;
  if (settings.contains("length_penalty")) options.length_penalty = settings["length_penalty"].get<float>();
  if (settings.contains("early_stopping")) {
    const nlohmann::json& e = settings["early_stopping"];
    options.early_stopping = e.is_boolean() ? (e.get<bool>() ? "true" : "false") : e.get<std::string>();
  }
  if (settings.contains("no_repeat_ngram_size")) options.no_repeat_ngram_size = settings["no_repeat_ngram_size"].get<int>();
  return options;
}

}  // namespace attn::test
