// NLLB-200 (M2M100ForConditionalGeneration with an NllbTokenizer) against
// tests/fixtures/gen_nllb_fixtures.py: the Python re-implementation of
// transformers' NllbTokenizer over python3-sentencepiece (ids with the
// fairseq offset, language codes after the pieces, codes and <mask> written
// in the text, the default and the legacy_behaviour layouts, decoding), and
// the float64 torch reference of the model and generate() shared with
// M2M-100: encoder output, logits at every step, greedy and beam search ids
// and scores with the target language forced; unknown language codes.
#include <doctest/doctest.h>

#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "test_support.h"
#include "translation_reference.h"

using namespace attn;
using nlohmann::json;
using test::options_for;

namespace {

const json& reference() {
  static const json r = test::translation_reference("nllb");
  return r;
}

std::filesystem::path nllb_dir() { return test::fixtures_dir() / "translation" / "nllb"; }

std::shared_ptr<const Model> nllb() {
  static const auto model = Model::load(nllb_dir());
  return model;
}

TranslateOptions languages_of(const json& c, TranslateOptions options = {}) {
  options.source_language = c["src_lang"].get<std::string>();
  options.target_language = c["tgt_lang"].get<std::string>();
  return options;
}

// A copy of the fixture whose tokenizer_config.json `edit` changed.
std::filesystem::path edited_copy(const test::TempDir& dir, const std::function<void(json&)>& edit) {
  const auto copy = dir / "nllb";
  std::filesystem::copy(nllb_dir(), copy, std::filesystem::copy_options::recursive);
  json config = json::parse(test::read_file(copy / "tokenizer_config.json"));
  edit(config);
  test::write_file(copy / "tokenizer_config.json", config.dump(2));
  return copy;
}

}  // namespace

TEST_CASE("NLLB loads with fairseq's offset, 202 language codes after the pieces and <mask> last") {
  const ModelInfo& info = nllb()->info();
  CHECK(info.architecture == "M2M100ForConditionalGeneration");
  REQUIRE(info.seq2seq);
  CHECK(info.seq2seq->decoder_start_id == 2);  // </s>
  CHECK(info.seq2seq->languages == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget);
  const Tokenizer& tokenizer = nllb()->tokenizer();
  CHECK(tokenizer.vocab_size() == info.vocab_size);
  CHECK(tokenizer.token_text(0) == "<s>");
  CHECK(tokenizer.token_text(1) == "<pad>");
  CHECK(tokenizer.token_text(3) == "<unk>");
  const auto codes = tokenizer.language_codes();
  CHECK(codes.size() == 202);
  CHECK(tokenizer.token_text(codes.at("ace_Arab")) == "ace_Arab");
  CHECK(codes.at("zul_Latn") == codes.at("ace_Arab") + 201);
  CHECK(tokenizer.token_text(tokenizer.vocab_size() - 1) == "<mask>");
  CHECK(tokenizer.eos_id() == 2);
}

TEST_CASE("NllbTokenizer: [src_lang] pieces </s>, codes and <mask> in the text, decoding, as the reference") {
  const Tokenizer& tokenizer = nllb()->tokenizer();
  for (const json& c : reference()["tokenizer_cases"]) {
    const std::string text = c["text"].get<std::string>();
    CAPTURE(text);
    const auto ids = c["ids"].get<std::vector<TokenId>>();
    CHECK(tokenizer.encode_source(text, c["src_lang"].get<std::string>()) == ids);
    if (c["src_lang"] == "eng_Latn") CHECK(tokenizer.encode(text) == ids);  // src_lang null: eng_Latn
    CHECK(tokenizer.decode(ids) == c["decoded"].get<std::string>());
  }
  Translator translator(nllb());
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    CHECK(translator.encode_source(c["text"].get<std::string>(), languages_of(c)) ==
          c["source_ids"].get<std::vector<TokenId>>());
    for (const json& beam : c["beam"]) {
      CHECK(tokenizer.decode(beam["tokens"].get<std::vector<TokenId>>()) == beam["text"].get<std::string>());
    }
  }
}

TEST_CASE("NLLB's legacy_behaviour puts the source language last: pieces </s> [src_lang]") {
  test::TempDir dir;
  const auto legacy = Model::load(edited_copy(dir, [](json& config) {
    config["legacy_behaviour"] = true;
    config["src_lang"] = "fra_Latn";
  }));
  for (const json& c : reference()["tokenizer_cases"]) {
    const std::string text = c["text"].get<std::string>();
    CAPTURE(text);
    CHECK(legacy->tokenizer().encode_source(text, c["src_lang"].get<std::string>()) ==
          c["legacy_ids"].get<std::vector<TokenId>>());
    if (c["src_lang"] == "fra_Latn") CHECK(legacy->tokenizer().encode(text) == c["legacy_ids"].get<std::vector<TokenId>>());
  }
  Translator translator(legacy);
  Session session(legacy);
  const int max_new = reference()["max_new_tokens"].get<int>();
  for (const json& c : reference()["legacy_cases"]) {
    CHECK(translator.encode_source(c["text"].get<std::string>(), languages_of(c)) ==
          c["source_ids"].get<std::vector<TokenId>>());
    test::check_encoder_and_steps(session, c);
    for (const json& beam : c["beam"]) {
      CAPTURE(beam["settings"].dump());
      test::check_beam(translator, c, beam, languages_of(c, options_for(beam["settings"], max_new)));
    }
  }
}

TEST_CASE("NLLB encoder output and decoder logits at every step match the reference") {
  Session session(nllb());
  for (const json& c : reference()["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    test::check_encoder_and_steps(session, c);
  }
}

TEST_CASE("NLLB greedy and beam search ids and scores equal the reference, target language forced") {
  Translator translator(nllb());
  const int max_new = reference()["max_new_tokens"].get<int>();
  for (const json& c : reference()["cases"]) {
    for (const json& beam : c["beam"]) {
      CAPTURE(c["text"].get<std::string>());
      CAPTURE(beam["settings"].dump());
      test::check_beam(translator, c, beam, languages_of(c, options_for(beam["settings"], max_new)));
    }
  }
}

TEST_CASE("unknown NLLB language codes are per-line errors naming the code, in the library and the CLI") {
  Translator translator(nllb());
  const std::vector<std::string> texts = {"a bird"};
  TranslateOptions options;
  options.max_new_tokens = 4;
  options.target_language = "deu";  // M2M-100's style of code
  CHECK(translator.translate(texts, options)[0].error.find("unknown language code 'deu'") != std::string::npos);
  options.target_language = "deu_Latn";
  options.source_language = "xx_Latn";
  CHECK(translator.translate(texts, options)[0].error.find("unknown language code 'xx_Latn'") != std::string::npos);
  options.source_language = "fra_Latn";
  CHECK(translator.translate(texts, options)[0].ok());

  const std::string command = test::quote(test::cli_path()) + " translate -m " + test::quote(nllb_dir()) + " -n 4 ";
  const auto bad_target = test::run_command(command + "--tgt-lang klingon", "a bird\n");
  CHECK(bad_target.exit_code != 0);
  CHECK(bad_target.err.find("unknown language code 'klingon'") != std::string::npos);
  const auto lines = test::run_command(command + "--tgt-lang deu_Latn --json",
                                       "{\"text\": \"a bird\", \"src_lang\": \"fra_Latn\"}\n"
                                       "{\"text\": \"a bird\", \"src_lang\": \"fr\"}\n");
  CHECK(lines.exit_code == 1);
  std::istringstream out(lines.out);
  std::string first, second;
  std::getline(out, first);
  std::getline(out, second);
  CHECK(json::parse(first).contains("tokens"));
  CHECK(json::parse(second)["error"].get<std::string>().find("unknown language code 'fr'") != std::string::npos);
}

TEST_CASE("a malformed NLLB tokenizer_config.json is an error naming the file and the token") {
  test::TempDir dir;
  const auto gap = edited_copy(dir, [](json& config) { config["added_tokens_decoder"].erase("200"); });
  try {
    Model::load(gap);
    FAIL("a gap in added_tokens_decoder must not load");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("tokenizer_config.json") != std::string::npos);
    CHECK(std::string(e.what()).find("200 is missing") != std::string::npos);
  }
  test::TempDir dir2;
  const auto unknown_source = edited_copy(dir2, [](json& config) { config["src_lang"] = "english"; });
  CHECK_THROWS_WITH_AS(Model::load(unknown_source), doctest::Contains("unknown language code 'english'"), Error);
}
