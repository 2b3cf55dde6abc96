// M2M100ForConditionalGeneration against the float64 torch re-implementation
// of transformers' modeling_m2m_100.py, M2M100Tokenizer and generate() with
// the target language forced first (ForcedBOSTokenLogitsProcessor) in
// tests/fixtures/gen_m2m100_fixtures.py: tokenizer ids with the source
// language code, encoder output (offset sinusoidal positions, final norm),
// decoder logits at every step over the KV cache, greedy and beam search ids
// and scores for several language pairs, batching, bad input.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"
#include "translation_reference.h"

using namespace attn;
using nlohmann::json;
using test::options_for;

namespace {

const json& reference() {
  static const json r = test::translation_reference("m2m100");
  return r;
}

std::shared_ptr<const Model> m2m100() {
  static const auto model = Model::load(test::fixtures_dir() / "translation" / "m2m100");
  return model;
}

TranslateOptions languages_of(const json& c, TranslateOptions options = {}) {
  options.source_language = c["src_lang"].get<std::string>();
  options.target_language = c["tgt_lang"].get<std::string>();
  return options;
}

}  // namespace

TEST_CASE("M2M-100 loads with fairseq's special tokens and 100 language codes") {
  const ModelInfo& info = m2m100()->info();
  CHECK(info.architecture == "M2M100ForConditionalGeneration");
  REQUIRE(info.seq2seq);
  CHECK(info.seq2seq->decoder_start_id == 2);  // </s>
  CHECK(info.seq2seq->languages == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget);
  CHECK(info.eos_ids == std::vector<TokenId>{2});
  const Tokenizer& tokenizer = m2m100()->tokenizer();
  CHECK(tokenizer.vocab_size() == info.vocab_size);  // dictionary + languages + 8 made-up words
  CHECK(tokenizer.token_text(tokenizer.vocab_size() - 8 - 100) == "__af__");
  CHECK(tokenizer.token_text(tokenizer.vocab_size() - 8 - 1) == "__zu__");
  CHECK(tokenizer.token_text(tokenizer.vocab_size() - 1) == "madeupword7");
}

TEST_CASE("M2M100Tokenizer and the Translator's source ids: [__src__] pieces </s>") {
  Translator translator(m2m100());
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    const auto expected = c["source_ids"].get<std::vector<TokenId>>();
    CHECK(translator.encode_source(c["text"].get<std::string>(), languages_of(c)) == expected);
    if (c["src_lang"] == "en") CHECK(m2m100()->tokenizer().encode(c["text"].get<std::string>()) == expected);
    for (const json& beam : c["beam"]) {
      CHECK(m2m100()->tokenizer().decode(beam["tokens"].get<std::vector<TokenId>>()) == beam["text"].get<std::string>());
    }
  }
}

TEST_CASE("M2M-100 encoder output and decoder logits at every step match the reference") {
  Session session(m2m100());
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    test::check_encoder_and_steps(session, c);
  }
}

TEST_CASE("M2M-100 greedy and beam search ids and scores equal the reference, target language forced") {
  Translator translator(m2m100());
  const int max_new = reference()["max_new_tokens"].get<int>();
  for (const json& c : reference()["cases"]) {
    for (const json& beam : c["beam"]) {
      CAPTURE(c["text"].get<std::string>());
      CAPTURE(beam["settings"].dump());
      test::check_beam(translator, c, beam, languages_of(c, options_for(beam["settings"], max_new)));
    }
  }
}

TEST_CASE("an M2M-100 batch translates as each sentence alone") {
  Translator translator(m2m100());
  std::vector<std::string> texts;
  for (const json& c : reference()["cases"]) {
    if (c["src_lang"] == "en" && c["tgt_lang"] == "de") texts.push_back(c["text"].get<std::string>());
  }
  REQUIRE(texts.size() >= 3);
  for (int beams : {1, 2, 4}) {
    CAPTURE(beams);
    TranslateOptions options;
    options.beam_size = beams;
    options.max_new_tokens = reference()["max_new_tokens"].get<int>();
    options.target_language = "de";
    options.batch_size = 2;
    const auto batched = translator.translate(texts, options);
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto alone = translator.translate(std::span(&texts[i], 1), options);
      CHECK(batched[i].tokens == alone[0].tokens);
      CHECK(batched[i].score == alone[0].score);
    }
  }
}

TEST_CASE("bad M2M-100 lines and language codes get clear errors") {
  Translator translator(m2m100());
  std::string too_long;
  for (int i = 0; i < 20; ++i) too_long += "the cat sits ";
  const std::vector<std::string> texts = {"a bird", "", "bad \xff utf-8", too_long, "the cat sits on the mat"};
  TranslateOptions options;
  options.max_new_tokens = 6;
  options.target_language = "de";
  const auto result = translator.translate(texts, options);
  REQUIRE(result.size() == texts.size());
  CHECK(result[0].ok());
  CHECK(result[1].error.find("empty") != std::string::npos);
  CHECK(result[2].error.find("UTF-8") != std::string::npos);
  CHECK(result[3].error.find("at most 64") != std::string::npos);
  CHECK(result[4].ok());

  options.target_language = "xx";
  CHECK(translator.translate(std::span(&texts[0], 1), options)[0].error.find("unknown language code 'xx'") !=
        std::string::npos);
  options.target_language = "de";
  options.source_language = "klingon";
  CHECK(translator.translate(std::span(&texts[0], 1), options)[0].error.find("unknown language code 'klingon'") !=
        std::string::npos);
  options.source_language.clear();
  options.target_language.clear();
  CHECK(translator.translate(std::span(&texts[0], 1), options)[0].error.find("needs a target language") !=
        std::string::npos);
}
