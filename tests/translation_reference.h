// What the translation tests share: reading a reference written by
// tests/fixtures/gen_translation_fixtures.py or gen_t5_fixtures.py, and
// comparing with it.
#pragma once

#include <cmath>
#include <limits>
#include <span>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "attn/model.h"
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

// One reference case through `session`: the encoder output, then the
// decoder's logits at every step, teacher-forced with the reference's greedy
// tokens one at a time over the KV cache (against the reference's cacheless
// forward pass), all within 1e-4.
inline void check_encoder_and_steps(Session& session, const nlohmann::json& c) {
  Session* sessions[] = {&session};
  const std::vector<TokenId> source = c["source_ids"].get<std::vector<TokenId>>();
  Session::encode(sessions, std::span(&source, 1));
  CHECK(max_diff(session.encoder_output(), c["encoder_output"]) < 1e-4f);
  std::vector<TokenId> inputs = {session.model().info().seq2seq->decoder_start_id};
  const auto tokens = c["greedy"]["tokens"].get<std::vector<TokenId>>();
  inputs.insert(inputs.end(), tokens.begin(), tokens.end() - 1);
  for (size_t step = 0; step < inputs.size(); ++step) {
    CAPTURE(step);
    CHECK(max_diff(session.forward(std::span(&inputs[step], 1)), c["greedy"]["step_logits"][step]) < 1e-4f);
  }
}

// A case's sentence translated alone with `options` gives the reference
// beam's ids, sequence score and text.
inline void check_beam(Translator& translator, const nlohmann::json& c, const nlohmann::json& beam,
                       const TranslateOptions& options) {
  const std::vector<std::string> texts = {c["text"].get<std::string>()};
  const auto result = translator.translate(texts, options);
  REQUIRE(result.size() == 1);
  REQUIRE(result[0].ok());
  CHECK(result[0].tokens == beam["tokens"].get<std::vector<TokenId>>());
  CHECK(result[0].score == doctest::Approx(beam["score"].get<double>()).epsilon(1e-4));
  CHECK(result[0].text == beam["text"].get<std::string>());
}

}  // namespace attn::test
