// T5ForConditionalGeneration, v1.0 (ReLU, tied embeddings) and v1.1 /
// Flan-T5 (gated GELU, untied LM head, d_kv * heads != d_model), against the
// float64 torch re-implementation of transformers' modeling_t5.py and
// T5Tokenizer in tests/fixtures/gen_t5_fixtures.py: tokenizer ids (</s>
// appended, sentinels), encoder output (relative position bias past
// max_distance included), decoder logits at every step over the KV cache,
// greedy and beam search ids and scores, batching, bad input.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"
#include "translation_reference.h"

using namespace attn;
using nlohmann::json;
using test::options_for;

namespace {

constexpr const char* kVariants[] = {"t5", "flan_t5"};

struct Fixture {
  std::shared_ptr<const Model> model;
  json reference;
};

const Fixture& fixture(const std::string& variant) {
  static std::map<std::string, Fixture> loaded;
  auto it = loaded.find(variant);
  if (it == loaded.end()) {
    it = loaded.emplace(variant, Fixture{Model::load(test::fixtures_dir() / "translation" / variant),
                                         test::translation_reference(variant)}).first;
  }
  return it->second;
}

}  // namespace

TEST_CASE("T5 loads as an encoder-decoder starting from <pad>, ending at </s>") {
  for (const char* variant : kVariants) {
    CAPTURE(variant);
    const ModelInfo& info = fixture(variant).model->info();
    CHECK(info.architecture == "T5ForConditionalGeneration");
    REQUIRE(info.seq2seq);
    CHECK(info.seq2seq->decoder_start_id == 0);
    CHECK(info.seq2seq->source_positions == 128);
    CHECK(info.eos_ids == std::vector<TokenId>{1});
    CHECK(fixture(variant).model->tokenizer().vocab_size() == info.vocab_size);  // pieces + 100 sentinels
  }
}

TEST_CASE("T5Tokenizer: spiece.model ids + </s>, sentinels, decode without special tokens") {
  const Tokenizer& tokenizer = fixture("t5").model->tokenizer();
  for (const json& c : fixture("t5").reference["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    CHECK(tokenizer.encode(c["text"].get<std::string>()) == c["source_ids"].get<std::vector<TokenId>>());
    for (const json& beam : c["beam"]) {
      CHECK(tokenizer.decode(beam["tokens"].get<std::vector<TokenId>>()) == beam["text"].get<std::string>());
    }
  }
  const int last = tokenizer.vocab_size() - 1;
  CHECK(tokenizer.token_text(last) == "<extra_id_0>");
  CHECK(tokenizer.token_text(last - 99) == "<extra_id_99>");
  // Not sentinels: past extra_ids, leading zeros, unterminated.
  for (const char* text : {"<extra_id_100>", "<extra_id_01>", "<extra_id_3"}) {
    CAPTURE(text);
    for (const TokenId id : tokenizer.encode(text)) CHECK(id < last - 99);
  }
  CHECK(tokenizer.encode("a bird</s>").back() == 1);
  CHECK(tokenizer.encode("a bird", false).back() != 1);
  CHECK_THROWS_WITH_AS(tokenizer.decode(std::vector<TokenId>{last + 1}), doctest::Contains("outside the vocabulary"), Error);
}

TEST_CASE("T5 encoder output and decoder logits at every step match the reference") {
  for (const char* variant : kVariants) {
    const Fixture& f = fixture(variant);
    Session session(f.model);
    for (const json& c : f.reference["cases"]) {
      CAPTURE(variant);
      CAPTURE(c["text"].get<std::string>());
      test::check_encoder_and_steps(session, c);
    }
  }
}

TEST_CASE("T5 greedy and beam search ids and scores equal the reference") {
  for (const char* variant : kVariants) {
    const Fixture& f = fixture(variant);
    Translator translator(f.model);
    const int max_new = f.reference["max_new_tokens"].get<int>();
    for (const json& c : f.reference["cases"]) {
      for (const json& beam : c["beam"]) {
        CAPTURE(variant);
        CAPTURE(c["text"].get<std::string>());
        CAPTURE(beam["settings"].dump());
        test::check_beam(translator, c, beam, options_for(beam["settings"], max_new));
      }
    }
  }
}

TEST_CASE("a T5 batch translates as each sentence alone") {
  for (const char* variant : kVariants) {
    const Fixture& f = fixture(variant);
    Translator translator(f.model);
    std::vector<std::string> texts;
    for (const json& c : f.reference["cases"]) texts.push_back(c["text"].get<std::string>());
    for (int beams : {1, 2, 4}) {
      CAPTURE(variant);
      CAPTURE(beams);
      TranslateOptions options;
      options.beam_size = beams;
      options.max_new_tokens = f.reference["max_new_tokens"].get<int>();
      options.batch_size = 3;  // batches that do not divide the input
      const auto batched = translator.translate(texts, options);
      for (size_t i = 0; i < texts.size(); ++i) {
        const auto alone = translator.translate(std::span(&texts[i], 1), options);
        CHECK(batched[i].tokens == alone[0].tokens);
        CHECK(batched[i].score == alone[0].score);
      }
    }
  }
}

TEST_CASE("bad T5 lines get their own errors and the others are translated") {
  Translator translator(fixture("flan_t5").model);
  std::string too_long;
  for (int i = 0; i < 30; ++i) too_long += "the cat sits ";
  const std::vector<std::string> texts = {"a bird", "", "bad \xff utf-8", too_long, "the cat sits on the mat"};
  TranslateOptions options;
  options.max_new_tokens = 6;
  const auto result = translator.translate(texts, options);
  REQUIRE(result.size() == texts.size());
  CHECK(result[0].ok());
  CHECK(result[1].error.find("empty") != std::string::npos);
  CHECK(result[2].error.find("UTF-8") != std::string::npos);
  CHECK(result[3].error.find("at most 128") != std::string::npos);
  CHECK(result[4].ok());
  CHECK(result[4].tokens == translator.translate(std::span(&texts[4], 1), options)[0].tokens);

  // T5 names the task in the text ("translate English to German: "), not by language codes.
  options.target_language = "de";
  CHECK(translator.translate(std::span(&texts[0], 1), options)[0].error.find("unknown language code 'de'") !=
        std::string::npos);
  options.target_language.clear();
  options.source_language = "en";
  CHECK(translator.translate(std::span(&texts[0], 1), options)[0].error.find("unknown language code 'en'") !=
        std::string::npos);
}

TEST_CASE("a T5 config with an unsupported feed_forward_proj names the key") {
  const test::TempDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixtures_dir() / "translation" / "t5")) {
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename().string(),
                               std::filesystem::copy_options::overwrite_existing);
  }
  json config = json::parse(test::read_file(dir / "config.json"));
  config["feed_forward_proj"] = "gated-swoosh";
  test::write_file(dir / "config.json", config.dump());
  CHECK_THROWS_WITH_AS(Model::load(dir.path()), doctest::Contains("feed_forward_proj 'gated-swoosh'"), Error);
}
