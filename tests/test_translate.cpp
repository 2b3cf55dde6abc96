// Encoder-decoder translation (MarianMTModel) against the float64 torch
// re-implementation of transformers' Marian and its beam search in
// tests/fixtures/gen_translation_fixtures.py: tokenizer ids, encoder output,
// decoder logits at every step (KV cache and cross-attention vs a cacheless
// forward pass), greedy and beam search ids and scores, batching, bad input.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"
#include "translation_reference.h"

using namespace attn;
using nlohmann::json;
using test::max_diff;
using test::options_for;

namespace {

std::filesystem::path marian_dir() { return test::fixtures_dir() / "translation" / "marian"; }

const json& reference() {
  static const json r = test::translation_reference("marian");
  return r;
}

std::shared_ptr<const Model> marian() {
  static const auto model = Model::load(marian_dir());
  return model;
}

}  // namespace

TEST_CASE("Marian loads as an encoder-decoder with opus-mt's generation settings") {
  const ModelInfo& info = marian()->info();
  CHECK(info.architecture == "MarianMTModel");
  REQUIRE(info.seq2seq);
  CHECK(info.seq2seq->decoder_start_id == info.vocab_size - 1);  // <pad>
  CHECK(info.seq2seq->suppressed_ids == std::vector<TokenId>{info.vocab_size - 1});
  CHECK(info.seq2seq->forced_eos_id == 0);
  CHECK(info.seq2seq->num_beams == 4);
  CHECK(info.eos_ids == std::vector<TokenId>{0});
}

TEST_CASE("MarianTokenizer: source.spm pieces through vocab.json, target.spm detokenisation") {
  const Tokenizer& tokenizer = marian()->tokenizer();
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    CHECK(tokenizer.encode(c["text"].get<std::string>()) == c["source_ids"].get<std::vector<TokenId>>());
    CHECK(tokenizer.decode(c["greedy"]["tokens"].get<std::vector<TokenId>>()) == c["greedy"]["text"].get<std::string>());
  }
}

TEST_CASE("encoder output and decoder logits at every step match the reference") {
  Session session(marian());
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    test::check_encoder_and_steps(session, c);
  }
}

TEST_CASE("greedy and beam search ids and scores equal the reference") {
  Translator translator(marian());
  const int max_new = reference()["max_new_tokens"].get<int>();
  for (const json& c : reference()["cases"]) {
    for (const json& beam : c["beam"]) {
      CAPTURE(c["text"].get<std::string>());
      CAPTURE(beam["settings"].dump());
      test::check_beam(translator, c, beam, options_for(beam["settings"], max_new));
    }
  }
}

TEST_CASE("a batch of sentences translates as each one alone") {
  Translator translator(marian());
  std::vector<std::string> texts;
  for (const json& c : reference()["cases"]) texts.push_back(c["text"].get<std::string>());
  for (int beams : {1, 2, 4}) {
    CAPTURE(beams);
    TranslateOptions options;
    options.beam_size = beams;
    options.max_new_tokens = reference()["max_new_tokens"].get<int>();
    const auto batched = translator.translate(texts, options);
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto alone = translator.translate(std::span(&texts[i], 1), options);
      CHECK(batched[i].tokens == alone[0].tokens);
      CHECK(batched[i].score == alone[0].score);  // decode steps are batch-independent (LinearOp::run)
    }
    options.batch_size = 3;  // batches that do not divide the input
    const auto in_threes = translator.translate(texts, options);
    for (size_t i = 0; i < texts.size(); ++i) CHECK(in_threes[i].tokens == batched[i].tokens);
  }
}

TEST_CASE("bad lines get their own errors and the others are translated") {
  Translator translator(marian());
  std::string too_long;
  for (int i = 0; i < 40; ++i) too_long += "the cat sits ";
  const std::vector<std::string> texts = {"the cat sits on the mat", "", "bad \xff utf-8", too_long, "a bird"};
  TranslateOptions options;
  options.max_new_tokens = 6;
  const auto result = translator.translate(texts, options);
  REQUIRE(result.size() == texts.size());
  CHECK(result[0].ok());
  CHECK(result[1].error.find("empty") != std::string::npos);
  CHECK(result[2].error.find("UTF-8") != std::string::npos);
  CHECK(result[3].error.find("at most 64") != std::string::npos);
  CHECK(result[4].ok());
  CHECK(result[0].tokens == translator.translate(std::span(&texts[0], 1), options)[0].tokens);

  options.target_language = "xx";
  const auto unknown = translator.translate(std::span(&texts[0], 1), options);
  CHECK(unknown[0].error.find("unknown language code 'xx'") != std::string::npos);
}

TEST_CASE("bad options and models are errors, not crashes") {
  Translator translator(marian());
  const std::vector<std::string> texts = {"a bird"};
  TranslateOptions options;
  options.max_new_tokens = 1000;
  CHECK_THROWS_WITH_AS(translator.translate(texts, options), doctest::Contains("positions"), Error);
  options = {};
  options.early_stopping = "sometimes";
  CHECK_THROWS_AS(translator.translate(texts, options), Error);
  options = {};
  options.beam_size = -1;
  CHECK_THROWS_AS(translator.translate(texts, options), Error);
  // The decoder without a source.
  Session session(marian());
  const TokenId start = marian()->info().seq2seq->decoder_start_id;
  CHECK_THROWS_WITH_AS(session.forward(std::span(&start, 1)), doctest::Contains("Session::encode"), Error);
  CHECK_THROWS_AS(Translator(Model::load(test::shared_dir() / "models" / "stories260K-hf")), Error);
}

TEST_CASE("Session::copy_from forks a hypothesis: same source, sequence and cache, any context length") {
  const json& c = reference()["cases"][1];
  const std::vector<TokenId> source = c["source_ids"].get<std::vector<TokenId>>();
  const auto tokens = c["greedy"]["tokens"].get<std::vector<TokenId>>();
  Session original(marian()), fork(marian(), SessionOptions{.context_length = 16});
  Session* sessions[] = {&original};
  Session::encode(sessions, std::span(&source, 1));
  const TokenId start = marian()->info().seq2seq->decoder_start_id;
  original.forward(std::span(&start, 1));
  original.forward(std::span(tokens.data(), 2));
  fork.copy_from(original);
  CHECK(fork.position() == 3);
  CHECK(max_diff(fork.forward(std::span(&tokens[2], 1)), c["greedy"]["step_logits"][3]) < 1e-4f);
  CHECK(max_diff(original.forward(std::span(&tokens[2], 1)), c["greedy"]["step_logits"][3]) < 1e-4f);
}
