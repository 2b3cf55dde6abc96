// tokenizer.json pipelines and the older GPT-2 / BERT layouts against
// independent references: llama.cpp's tokenizer test vectors and a parity
// corpus with ids from Hugging Face tokenizers (see
// fixtures/tokenizers/gen_expected.mjs).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "test_support.h"
#include "tokenizer/hf_tokenizer.h"

namespace doctest {
template <>
struct StringMaker<std::vector<int>> {
  static String convert(const std::vector<int>& ids) {
    std::string text = "[";
    for (size_t i = 0; i < ids.size(); ++i) text += (i ? ", " : "") + std::to_string(ids[i]);
    return (text + "]").c_str();
  }
};
}  // namespace doctest

namespace {

using attn::TokenId;
namespace fs = std::filesystem;
using attn::test::fixtures_dir;
using attn::test::read_file;
using attn::test::shared_dir;

struct VocabCase {
  std::string text;
  std::vector<TokenId> ids;
};

// llama.cpp's format: each string is followed by a line
// "__ggml_vocab_test__"; the .out file has one line of ids per string.
std::vector<VocabCase> read_llamacpp_cases(const fs::path& inp) {
  const std::string input = read_file(inp);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  for (size_t start = 0; start < input.size();) {
    const size_t end = input.find(separator, start);
    REQUIRE(end != std::string::npos);
    cases.push_back({input.substr(start, end - start), {}});
    start = end + separator.size();
  }
  std::istringstream out(read_file(fs::path(inp.string().substr(0, inp.string().size() - 4) + ".out")));
  std::string line;
  for (VocabCase& c : cases) {
    REQUIRE(std::getline(out, line));
    std::istringstream words(line);
    for (TokenId id; words >> id;) c.ids.push_back(id);
  }
  return cases;
}

void check_llamacpp_vectors(const fs::path& tokenizer_path, const fs::path& inp) {
  const auto tokenizer = attn::load_hf_tokenizer(tokenizer_path);
  const auto cases = read_llamacpp_cases(inp);
  CHECK(cases.size() > 40);
  int passed = 0;
  for (const VocabCase& c : cases) {
    CAPTURE(c.text);
    const std::vector<TokenId> ids = tokenizer->encode(c.text, /*add_special=*/false);
    CHECK(ids == c.ids);
    passed += ids == c.ids;
  }
  MESSAGE(tokenizer_path.string() << ": " << passed << "/" << cases.size() << " llama.cpp cases");
}

const fs::path kGpt2 = shared_dir() / "tokenizers/gpt2";
const fs::path kBert = shared_dir() / "tokenizers/bert-base-uncased";

}  // namespace

TEST_CASE("llama.cpp vectors: gpt2 tokenizer.json") {
  check_llamacpp_vectors(kGpt2 / "tokenizer.json", kGpt2 / "llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp");
}

TEST_CASE("llama.cpp vectors: gpt2 vocab.json + merges.txt") {
  check_llamacpp_vectors(kGpt2 / "vocab.json", kGpt2 / "llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp");
}

TEST_CASE("llama.cpp vectors: bert-base-uncased tokenizer.json") {
  check_llamacpp_vectors(kBert / "tokenizer.json", kBert / "llamacpp-vocab/ggml-vocab-bert-bge.gguf.inp");
}

TEST_CASE("llama.cpp vectors: bert-base-uncased vocab.txt") {
  check_llamacpp_vectors(kBert / "vocab.txt", kBert / "llamacpp-vocab/ggml-vocab-bert-bge.gguf.inp");
}

namespace {

struct ParityLine {
  std::string text;
  std::vector<TokenId> ids, ids_special;
  std::string decoded;
};

std::vector<ParityLine> read_expected(const std::string& suite) {
  std::istringstream lines(read_file(fixtures_dir() / "tokenizers" / ("expected_" + suite + ".jsonl")));
  std::vector<ParityLine> expected;
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line);
    expected.push_back({json.at("text"), json.at("ids"), json.at("ids_special"), json.at("decoded")});
  }
  return expected;
}

// Every line must give Hugging Face's ids, with and without special tokens,
// and decode to Hugging Face's text.
void check_parity(const fs::path& tokenizer_path, const std::string& suite) {
  const auto tokenizer = attn::load_hf_tokenizer(tokenizer_path);
  const auto expected = read_expected(suite);
  REQUIRE(!expected.empty());
  size_t passed = 0;
  for (const ParityLine& line : expected) {
    CAPTURE(line.text);
    const auto ids = tokenizer->encode(line.text, false);
    const auto ids_special = tokenizer->encode(line.text, true);
    const std::string decoded = tokenizer->decode(ids_special);
    CHECK(ids == line.ids);
    CHECK(ids_special == line.ids_special);
    CHECK(decoded == line.decoded);
    passed += ids == line.ids && ids_special == line.ids_special && decoded == line.decoded;
  }
  MESSAGE(tokenizer_path.string() << ": " << passed << "/" << expected.size() << " parity lines");
}

}  // namespace

TEST_CASE("parity corpus: gpt2 tokenizer.json, with lossless decode") {
  check_parity(kGpt2 / "tokenizer.json", "gpt2");
  // Byte-level BPE gives back the exact text, less the special tokens that
  // decoding skips.
  const auto tokenizer = attn::load_hf_tokenizer(kGpt2);
  for (const ParityLine& line : read_expected("gpt2")) {
    CAPTURE(line.text);
    std::string text = line.text;
    for (size_t at; (at = text.find("<|endoftext|>")) != std::string::npos;) text.erase(at, 13);
    CHECK(tokenizer->decode(tokenizer->encode(line.text)) == text);
  }
}

TEST_CASE("parity corpus: gpt2 vocab.json + merges.txt") { check_parity(kGpt2 / "vocab.json", "gpt2"); }

TEST_CASE("parity corpus: bert-base-uncased tokenizer.json") {
  check_parity(kBert / "tokenizer.json", "bert-base-uncased");
}

TEST_CASE("parity corpus: bert-base-uncased vocab.txt") { check_parity(kBert / "vocab.txt", "bert-base-uncased"); }

// Hand-written tokenizer.json files that together use every component; see
// fixtures/tokenizers/gen_fixtures.mjs for what each one exercises.
TEST_CASE("parity: hand-written tokenizer.json fixtures") {
  for (const char* name : {"bpe_llama3_style", "bpe_split_behaviors", "bpe_sentencepiece_style", "bpe_metaspace_first",
                           "bpe_end_of_word_suffix", "bpe_continuing_prefix", "wordpiece_pipeline",
                           "wordpiece_nfkc_roberta", "unigram_metaspace", "bpe_bytelevel_prefix_space",
                           "wordpiece_metaspace_never"}) {
    SUBCASE(name) { check_parity(fixtures_dir() / "tokenizers" / name, name); }
  }
}

namespace {

std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const attn::Error& error) {
    return error.what();
  }
  return "(no attn::Error)";
}

// A small valid tokenizer.json to break in one place at a time.
nlohmann::json tiny_bpe() {
  return {{"model",
           {{"type", "BPE"},
            {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}},
            {"merges", {"a b"}}}},
          {"added_tokens", nlohmann::json::array()}};
}

std::string load_error(const std::string& file_contents) {
  attn::test::TempDir dir;
  attn::test::write_file(dir / "tokenizer.json", file_contents);
  std::string message = error_message([&] { attn::load_hf_tokenizer(dir.path()); });
  CHECK(message.find((dir / "tokenizer.json").string()) != std::string::npos);  // names the file
  return message;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("Tokenizer interface: special ids, vocabulary, token text") {
  const auto gpt2 = attn::load_hf_tokenizer(kGpt2);
  CHECK(gpt2->vocab_size() == 50257);
  CHECK(gpt2->bos_id() == 50256);  // GPT-2's tokenizer classes default to <|endoftext|>
  CHECK(gpt2->eos_id() == 50256);
  CHECK(gpt2->token_text(50256) == "<|endoftext|>");
  CHECK(gpt2->token_text(15496) == "Hello");
  CHECK(gpt2->encode("Hello world") == std::vector<TokenId>{15496, 995});
  CHECK(gpt2->encode("<|endoftext|>", false) == std::vector<TokenId>{50256});  // matched even without add_special
  CHECK(contains(error_message([&] { gpt2->token_text(50257); }), "outside the vocabulary"));
  CHECK(contains(error_message([&] { gpt2->decode(std::vector<TokenId>{-1}); }), "outside the vocabulary"));
  // An incomplete UTF-8 sequence decodes to U+FFFD.
  CHECK(gpt2->decode(gpt2->encode("\xF0\x9F\x98\x81", false)) == "\xF0\x9F\x98\x81");
  CHECK(gpt2->decode(std::vector<TokenId>{172}) == "\xEF\xBF\xBD");

  const auto bert = attn::load_hf_tokenizer(kBert);
  CHECK(bert->vocab_size() == 30522);
  CHECK(bert->bos_id() == -1);
  CHECK(bert->eos_id() == -1);
  CHECK(bert->encode("Hello world", true) == std::vector<TokenId>{101, 7592, 2088, 102});
  CHECK(bert->encode("Hello world", false) == std::vector<TokenId>{7592, 2088});
  CHECK(bert->decode(std::vector<TokenId>{101, 7592, 1010, 2088, 999, 102}) == "hello, world!");

  const auto llama3 = attn::load_hf_tokenizer(fixtures_dir() / "tokenizers/bpe_llama3_style/tokenizer.json");
  CHECK(llama3->token_text(llama3->bos_id()) == "<|begin_of_text|>");
  CHECK(llama3->token_text(llama3->eos_id()) == "<|end_of_text|>");
}

TEST_CASE("load_tokenizer picks the Hugging Face files and prefers tokenizer.json to tokenizer.model") {
  CHECK(attn::load_tokenizer(kGpt2)->encode("Hello world") == std::vector<TokenId>{15496, 995});
  CHECK(attn::load_tokenizer(kBert / "vocab.txt")->encode("Hello world") == std::vector<TokenId>{101, 7592, 2088, 102});
  attn::test::TempDir dir;
  fs::copy_file(kBert / "tokenizer.json", dir / "tokenizer.json");
  fs::copy_file(shared_dir() / "tokenizers/llama2/tokenizer.model", dir / "tokenizer.model");
  CHECK(attn::load_tokenizer(dir.path())->encode("Hello world", false) == std::vector<TokenId>{7592, 2088});
}

TEST_CASE("malformed tokenizer files and input give clear errors") {
  SUBCASE("not JSON") { CHECK(contains(load_error("{\"model\": {"), "not valid JSON")); }
  SUBCASE("truncated file") {
    const std::string whole = read_file(kGpt2 / "tokenizer.json");
    CHECK(contains(load_error(whole.substr(0, whole.size() / 2)), "not valid JSON"));
  }
  SUBCASE("unknown component type") {
    auto json = tiny_bpe();
    json["normalizer"] = {{"type", "Frobnicate"}};
    CHECK(contains(load_error(json.dump()), "unknown normalizer type \"Frobnicate\""));
    json["normalizer"] = nullptr;
    json["decoder"] = {{"type", "CTC"}};
    CHECK(contains(load_error(json.dump()), "unknown decoder type \"CTC\""));
  }
  SUBCASE("missing merges") {
    auto json = tiny_bpe();
    json["model"].erase("merges");
    CHECK(contains(load_error(json.dump()), "BPE model has no \"merges\" field"));
  }
  SUBCASE("merge of tokens outside the vocabulary") {
    auto json = tiny_bpe();
    json["model"]["merges"] = {"a c"};
    CHECK(contains(load_error(json.dump()), "\"c\" is not in the vocabulary"));
  }
  SUBCASE("absurd token id") {
    auto json = tiny_bpe();
    json["model"]["vocab"]["ab"] = 2'000'000'000;
    CHECK(contains(load_error(json.dump()), "has id 2000000000"));
  }
  SUBCASE("no model") { CHECK(contains(load_error("{}"), "has no \"model\" field")); }
  SUBCASE("field of the wrong type") {
    auto json = tiny_bpe();
    json["model"]["vocab"]["a"] = "zero";
    CHECK(contains(load_error(json.dump()), "vocab id of \"a\": expected an integer"));
    json["model"]["vocab"]["a"] = 0;
    json["model"]["unk_token"] = 5;
    CHECK(contains(load_error(json.dump()), "malformed tokenizer"));
  }
  // The review's reproducers: ids read through a float (UB) or wrapped to 32 bits.
  SUBCASE("ids that are not int32: 5.17e20, 4294967297 (which used to wrap to 1), 1.0, -1") {
    for (const char* id : {"5.17e20", "4294967297", "1.0", "-1"}) {
      CAPTURE(id);
      std::string text = tiny_bpe().dump();
      text.replace(text.find("\"b\":1"), 5, std::string("\"b\":") + id);
      const std::string message = load_error(text);
      CHECK((contains(message, "vocab id of \"b\": expected an integer") || contains(message, "has id -1")));
    }
    auto json = tiny_bpe();
    json["post_processor"] = {{"type", "BertProcessing"}, {"cls", {"a", 4294967296}}, {"sep", {"b", 1}}};
    CHECK(contains(load_error(json.dump()), "BertProcessing cls id: expected an integer"));
    json["post_processor"] = {{"type", "TemplateProcessing"},
                              {"single", {{{"Sequence", {{"id", "A"}, {"type_id", 5e20}}}}}},
                              {"special_tokens", nlohmann::json::object()}};
    CHECK(contains(load_error(json.dump()), "\"type_id\": expected an integer"));
  }
  // A fuzz finding: encode returned an id no token has (the template's).
  SUBCASE("post-processor special token ids outside the vocabulary") {
    auto json = tiny_bpe();
    const int size = static_cast<int>(json["model"]["vocab"].size());
    json["post_processor"] = {{"type", "TemplateProcessing"},
                              {"single", {{{"SpecialToken", {{"id", "<x>"}, {"type_id", 0}}}},
                                          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                              {"special_tokens", {{"<x>", {{"id", "<x>"}, {"ids", {size}}, {"tokens", {"<x>"}}}}}}};
    CHECK(contains(load_error(json.dump()), "special token id " + std::to_string(size) + " is outside the vocabulary"));
    json["post_processor"] = {{"type", "Sequence"},
                              {"processors", {{{"type", "RobertaProcessing"}, {"cls", {"a", 0}}, {"sep", {"b", -3}}}}}};
    CHECK(contains(load_error(json.dump()), "special token id -3 is outside the vocabulary"));
  }
  SUBCASE("a number too large for a double") {
    CHECK(contains(load_error(R"({"model": {"type": "BPE", "vocab": {"a": 1e5360}, "merges": []}})"), "not valid JSON"));
  }
  SUBCASE("bad regular expression") {
    auto json = tiny_bpe();
    json["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    CHECK(contains(load_error(json.dump()), "invalid regular expression"));
  }
  SUBCASE("directory without tokenizer files") {
    attn::test::TempDir dir;
    CHECK(contains(error_message([&] { attn::load_hf_tokenizer(dir.path()); }), "no Hugging Face tokenizer found"));
  }
  SUBCASE("invalid UTF-8 text") {
    const auto tokenizer = attn::load_hf_tokenizer(kGpt2);
    CHECK(contains(error_message([&] { tokenizer->encode("abc\xC3(def"); }), "offset 3"));
    CHECK(contains(error_message([&] { tokenizer->encode("\xED\xA0\x80"); }), "offset 0"));  // a surrogate
  }
}

TEST_CASE("sentence pairs and longest_first truncation match Hugging Face tokenizers") {
  std::istringstream lines(read_file(fixtures_dir() / "tokenizers" / "expected_pairs.jsonl"));
  std::map<std::string, std::shared_ptr<const attn::Tokenizer>> tokenizers;
  size_t checked = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line);
    const std::string suite = json.at("suite");
    auto& tokenizer = tokenizers[suite];
    if (!tokenizer) {
      const bool shared = suite == "gpt2" || suite == "bert-base-uncased";
      tokenizer = attn::load_hf_tokenizer((shared ? shared_dir() / "tokenizers" : fixtures_dir() / "tokenizers") / suite);
    }
    const std::string a = json.at("a"), b = json.at("b");
    const int max_length = json.at("max_length");
    CAPTURE(suite);
    CAPTURE(max_length);
    bool truncated = false;
    const attn::Encoding encoding = attn::encode_for_model(*tokenizer, a, b, max_length, &truncated);
    CHECK(encoding.ids == json.at("ids").get<std::vector<TokenId>>());
    CHECK(encoding.type_ids == json.at("type_ids").get<std::vector<int32_t>>());
    const size_t full = attn::encode_for_model(*tokenizer, a, b).ids.size();
    CHECK(truncated == (max_length > 0 && full > static_cast<size_t>(max_length)));
    ++checked;
  }
  CHECK(checked > 150);
}

TEST_CASE("encode_for_model: a single text is cut at its end; a length below the special tokens is an error") {
  const auto bert = attn::load_hf_tokenizer(shared_dir() / "tokenizers" / "bert-base-uncased");
  const std::string text = "the quick brown fox jumps over the lazy dog";
  bool truncated = false;
  const attn::Encoding cut = attn::encode_for_model(*bert, text, std::nullopt, 5, &truncated);
  CHECK(truncated);
  CHECK(cut.ids == std::vector<TokenId>{101, 1996, 4248, 2829, 102});
  CHECK(cut.type_ids == std::vector<int32_t>(5, 0));
  CHECK_FALSE(attn::encode_for_model(*bert, text, std::nullopt, 0, &truncated).ids.empty());
  CHECK_FALSE(truncated);
  CHECK_THROWS_AS(attn::encode_for_model(*bert, text, std::nullopt, 2), attn::Error);
  CHECK_THROWS_AS(attn::encode_for_model(*bert, "ok", std::string_view("\xff")), attn::Error);
}
