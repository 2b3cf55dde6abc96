// Tokenizers against independent references: the llama2.c prompts of
// stories260K, llama2.c's test.c cases and llama.cpp's vocabulary vectors
// for the Llama 2 SentencePiece model; decode, streaming and error paths.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attn/error.h"
#include "attn/tokenizer.h"
#include "test_support.h"
#include "tokenizer/utf8.h"

namespace attn {
namespace {

using Ids = std::vector<TokenId>;
namespace fs = std::filesystem;

const fs::path kStories = test::shared_dir() / "models/stories260K";
const fs::path kLlama2 = test::shared_dir() / "tokenizers/llama2";
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(test::read_file(path)); }

const Tokenizer& llama2() {
  static const auto tokenizer = load_tokenizer(kLlama2 / "tokenizer.model");
  return *tokenizer;
}

Ids concat(Ids a, const Ids& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The message of the attn::Error that `action` throws ("" if none).
template <class Action>
std::string error_message(Action action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct VocabCase {
  std::string text;
  Ids ids;
};

// llama.cpp's test-tokenizer-0 format: the .inp file is the strings joined
// by "\n__ggml_vocab_test__\n" (so a string's last newline before the marker
// belongs to the marker, and the file ends with one); the .out file has one
// line of space-separated ids per string, an empty line for "".
std::vector<VocabCase> read_llamacpp_cases(const fs::path& inp, const fs::path& out) {
  const std::string separator = "\n__ggml_vocab_test__\n";
  const std::string texts = test::read_file(inp);
  std::istringstream id_lines(test::read_file(out));
  std::vector<VocabCase> cases;
  for (size_t begin = 0, end; (end = texts.find(separator, begin)) != std::string::npos;
       begin = end + separator.size()) {
    VocabCase c{texts.substr(begin, end - begin), {}};
    std::string line;
    REQUIRE(std::getline(id_lines, line));
    std::istringstream ids(line);
    for (TokenId id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<VocabCase> llama2_llamacpp_cases() {
  const fs::path dir = kLlama2 / "llamacpp-vocab";
  return read_llamacpp_cases(dir / "ggml-vocab-llama-spm.gguf.inp", dir / "ggml-vocab-llama-spm.gguf.out");
}

// What a streamer emits for `generated` after prime(`context`), flushed.
std::vector<std::string> stream(const Tokenizer& tokenizer, const Ids& context, const Ids& generated) {
  TokenStreamer streamer(tokenizer);
  streamer.prime(context);
  std::vector<std::string> pieces;
  for (const TokenId id : generated) pieces.push_back(streamer.push(id));
  pieces.push_back(streamer.flush());
  return pieces;
}

std::string join(const std::vector<std::string>& pieces) {
  std::string text;
  for (const auto& piece : pieces) text += piece;
  return text;
}

// Every emitted piece is whole UTF-8 characters, with no U+FFFD standing in
// for a character that was still incomplete.
void check_whole_characters(const std::vector<std::string>& pieces) {
  for (const auto& piece : pieces) {
    CHECK(!find_invalid_utf8(piece));
    CHECK(piece.find(kReplacementCharacter) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("stories260K: ids of the llama2.c reference prompts, from the .model file and the HF directory") {
  const auto reference = read_json(kStories / "reference/reference.json");
  for (const auto& path : {kStories / "tok512.model", test::shared_dir() / "models/stories260K-hf"}) {
    CAPTURE(path);
    const auto tokenizer = load_tokenizer(path);
    CHECK(tokenizer->vocab_size() == 512);
    CHECK(tokenizer->bos_id() == 1);
    CHECK(tokenizer->eos_id() == 2);
    for (const auto& c : reference["cases"]) {
      const auto text = c["text"].get<std::string>();
      CAPTURE(text);
      const auto ids = c["tokens_sentencepiece_with_bos"].get<Ids>();
      CHECK(tokenizer->encode(text) == ids);
      CHECK(tokenizer->encode(text, /*add_special=*/false) == Ids(ids.begin() + 1, ids.end()));
      // run.c drops the space of the first piece after BOS; so does decode.
      const Ids all = concat(ids, c["greedy_continuation_32"].get<Ids>());
      CHECK(tokenizer->decode(all) == c["greedy_text"].get<std::string>());
    }
  }
}

TEST_CASE("llama2: llama2.c test.c encode cases") {
  const auto cases = read_json(kLlama2 / "encode_cases.json");
  for (const auto& c : cases["cases"]) {
    const auto text = c["text"].get<std::string>();
    CAPTURE(text);
    CHECK(llama2().encode(text) == c["expected_ids_with_bos"].get<Ids>());
  }
}

// All 46 strings match SentencePiece exactly, including llama.cpp's quirky
// ones (leading spaces, lone "\n", tabs): llama.cpp's SPM tokenizer
// reimplements SentencePiece's add_dummy_prefix ("▁" prepended, hence the
// 29871 before digits or byte-fallback pieces) and byte fallback, and
// python3-sentencepiece 0.1.97 gives the same ids for every case.
TEST_CASE("llama2: llama.cpp vocabulary test vectors, without BOS") {
  const auto cases = llama2_llamacpp_cases();
  REQUIRE(cases.size() == 46);
  CHECK(cases[0].text == "ied 4 \xC2\xBD months");
  CHECK(cases[2].text.empty());
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(llama2().encode(c.text, /*add_special=*/false) == c.ids);
  }
}

TEST_CASE("llama2: vocabulary facts and token_text") {
  CHECK(llama2().vocab_size() == 32000);
  CHECK(llama2().bos_id() == 1);
  CHECK(llama2().eos_id() == 2);
  CHECK(llama2().token_text(13) == "<0x0A>");
  CHECK(llama2().token_text(29871) == "\xE2\x96\x81");  // "▁"
  CHECK(llama2().token_text(15043) == "\xE2\x96\x81Hello");
}

TEST_CASE("decode: round trips, control tokens, byte fallback") {
  SUBCASE("llama2 is lossless: decode(encode(text)) == text, with or without BOS") {
    for (const auto& c : llama2_llamacpp_cases()) {
      CAPTURE(c.text);
      CHECK(llama2().decode(llama2().encode(c.text)) == c.text);
      CHECK(llama2().decode(c.ids) == c.text);
    }
  }
  SUBCASE("tok512 normalises whitespace (remove_extra_whitespaces), so only tidy text round-trips") {
    const auto tokenizer = load_tokenizer(kStories / "tok512.model");
    CHECK(tokenizer->decode(tokenizer->encode("Lily and Tom went to the park.")) == "Lily and Tom went to the park.");
    CHECK(tokenizer->decode(tokenizer->encode("  Lily   and Tom ")) == "Lily and Tom");
  }
  SUBCASE("BOS/EOS are skipped; the first piece loses its leading space only at the start") {
    const Ids hi_foo = {15043, 7953};  // "▁Hello", "▁foo"
    CHECK(llama2().decode(hi_foo) == "Hello foo");
    CHECK(llama2().decode(Ids{1, 15043, 2, 7953}) == "Hello foo");
    CHECK(llama2().decode(Ids{1, 2}).empty());
    CHECK(llama2().decode(Ids{}).empty());
  }
  SUBCASE("byte-fallback pieces become bytes; an incomplete tail is U+FFFD per byte, as SentencePiece does") {
    CHECK(llama2().decode(Ids{29871, 243, 162, 155, 131}) == "\xF0\x9F\x98\x80");  // 😀
    CHECK(llama2().decode(Ids{15043, 243, 162}) == "Hello\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(llama2().decode(Ids{131}) == kReplacementCharacter);  // a stray continuation byte
  }
  SUBCASE("ids outside the vocabulary are an error") {
    CHECK(error_message([] { llama2().decode(Ids{1, 32000}); }).find("32000") != std::string::npos);
    CHECK(error_message([] { llama2().token_text(-1); }).find("-1") != std::string::npos);
  }
}

TEST_CASE("tokenizer_config.json beside the model decides BOS/EOS") {
  test::TempDir dir;
  fs::copy_file(kStories / "tok512.model", dir / "tokenizer.model");
  const Ids once_upon_a_time = {403, 407, 261, 378};
  SUBCASE("absent: BOS only, as LlamaTokenizer") {
    CHECK(load_tokenizer(dir.path())->encode("Once upon a time") == concat({1}, once_upon_a_time));
  }
  SUBCASE("add_bos_token false, add_eos_token true") {
    test::write_file(dir / "tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true})");
    const auto tokenizer = load_tokenizer(dir.path());
    CHECK(tokenizer->encode("Once upon a time") == concat(once_upon_a_time, {2}));
    CHECK(tokenizer->encode("Once upon a time", /*add_special=*/false) == once_upon_a_time);
  }
  SUBCASE("null means the default") {
    test::write_file(dir / "tokenizer_config.json", R"({"add_bos_token": null})");
    CHECK(load_tokenizer(dir.path())->encode("Once upon a time") == concat({1}, once_upon_a_time));
  }
  SUBCASE("malformed config is an error naming it") {
    test::write_file(dir / "tokenizer_config.json", R"({"add_bos_token": )");
    CHECK(error_message([&] { load_tokenizer(dir.path()); }).find("tokenizer_config.json") != std::string::npos);
    test::write_file(dir / "tokenizer_config.json", R"({"add_bos_token": "yes"})");
    CHECK(error_message([&] { load_tokenizer(dir.path()); }).find("add_bos_token") != std::string::npos);
  }
}

TEST_CASE("TokenStreamer: whole characters, same text as a full decode") {
  SUBCASE("emoji and CJK split over byte-fallback tokens, streamed from BOS") {
    for (const std::string text : {"Hello \xF0\x9F\x98\x80 world \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\xA6\x99 ok",
                                   "\xF0\x9D\x94\x98\xF0\x9D\x94\xAB \xC3\x9F\xE1\xBA\x9E \xED\x95\x9C ok"}) {
      CAPTURE(text);
      const auto pieces = stream(llama2(), {}, llama2().encode(text));
      check_whole_characters(pieces);
      CHECK(join(pieces) == text);
      // A character spread over four byte tokens comes out in one piece.
      CHECK(std::count_if(pieces.begin(), pieces.end(), [](const auto& p) { return p.size() >= 4; }) >= 1);
    }
  }
  SUBCASE("after prime(prompt) at every split point, the pieces are decode(all) minus decode(prompt)") {
    for (const auto& c : llama2_llamacpp_cases()) {
      const Ids ids = concat({1}, c.ids);
      const std::string full = llama2().decode(ids);
      for (size_t split = 0; split <= ids.size(); ++split) {
        const Ids prompt(ids.begin(), ids.begin() + split);
        const std::string prompt_text = llama2().decode(prompt);
        if (!full.starts_with(prompt_text)) continue;  // split inside a character
        CAPTURE(c.text);
        CAPTURE(split);
        const auto pieces = stream(llama2(), prompt, Ids(ids.begin() + split, ids.end()));
        check_whole_characters(pieces);
        CHECK(join(pieces) == full.substr(prompt_text.size()));
      }
    }
  }
  SUBCASE("stories260K: the first generated word keeps its space after the prompt, as run.c prints it") {
    const auto tokenizer = load_tokenizer(kStories / "tok512.model");
    const auto reference = read_json(kStories / "reference/reference.json");
    for (const auto& c : reference["cases"]) {
      const auto prompt = c["tokens_sentencepiece_with_bos"].get<Ids>();
      const auto text = c["text"].get<std::string>();
      const auto pieces = stream(*tokenizer, prompt, c["greedy_continuation_32"].get<Ids>());
      CHECK(text + join(pieces) == c["greedy_text"].get<std::string>());
    }
  }
  SUBCASE("control tokens in the middle emit nothing and do not disturb spacing") {
    const Ids ids = {1, 15043, 2, 1, 7953, 2};
    CHECK(join(stream(llama2(), {}, ids)) == llama2().decode(ids));
    CHECK(join(stream(llama2(), {1, 15043, 2}, {7953})) == " foo");
  }
  SUBCASE("an incomplete character is held back, then flushed as U+FFFD per byte") {
    TokenStreamer streamer(llama2());
    streamer.prime(Ids{1, 15043});
    CHECK(streamer.push(29871) == " ");
    CHECK(streamer.push(243).empty());
    CHECK(streamer.push(162).empty());
    CHECK(streamer.flush() == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(streamer.flush().empty());
  }
}

namespace {

// Forwards to a real tokenizer and records the longest span decoded.
class DecodeLengthProbe final : public Tokenizer {
 public:
  explicit DecodeLengthProbe(const Tokenizer& inner) : inner_(inner) {}
  std::vector<TokenId> encode(std::string_view text, bool add_special) const override {
    return inner_.encode(text, add_special);
  }
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override {
    return inner_.add_special_tokens(std::move(first), second);
  }
  std::string decode(std::span<const TokenId> ids) const override {
    longest = std::max(longest, ids.size());
    return inner_.decode(ids);
  }
  int vocab_size() const override { return inner_.vocab_size(); }
  TokenId bos_id() const override { return inner_.bos_id(); }
  TokenId eos_id() const override { return inner_.eos_id(); }
  std::string token_text(TokenId id) const override { return inner_.token_text(id); }

  mutable size_t longest = 0;

 private:
  const Tokenizer& inner_;
};

}  // namespace

TEST_CASE("TokenStreamer: each push decodes a short window, not the whole sequence") {
  DecodeLengthProbe probe(llama2());
  Ids prompt = {1}, generated;
  for (int i = 0; i < 500; ++i) {
    const Ids words = llama2().encode("Hello world \xF0\x9F\x98\x80", /*add_special=*/false);
    prompt.insert(prompt.end(), words.begin(), words.end());
    generated.insert(generated.end(), words.begin(), words.end());
  }
  const auto pieces = stream(probe, prompt, generated);
  CHECK(join(pieces) == llama2().decode(concat(prompt, generated)).substr(llama2().decode(prompt).size()));
  CHECK(probe.longest <= 8);
}

TEST_CASE("UTF-8 validation") {
  CHECK(!find_invalid_utf8(""));
  CHECK(!find_invalid_utf8("a\xC2\xBD\xE4\xB8\xAD\xF0\x9F\xA6\x99\xF4\x8F\xBF\xBF"));  // up to U+10FFFF
  CHECK(find_invalid_utf8("ab\x80") == 2u);                  // stray continuation byte
  CHECK(find_invalid_utf8("a\xC0\x80") == 1u);               // overlong NUL
  CHECK(find_invalid_utf8("a\xE0\x9F\xBF") == 1u);           // overlong 3-byte form
  CHECK(find_invalid_utf8("a\xF0\x8F\xBF\xBF") == 1u);       // overlong 4-byte form
  CHECK(find_invalid_utf8("a\xED\xA0\x80") == 1u);           // surrogate U+D800
  CHECK(find_invalid_utf8("a\xF4\x90\x80\x80") == 1u);       // U+110000
  CHECK(find_invalid_utf8("a\xF5\x80\x80\x80") == 1u);       // lead byte beyond U+10FFFF
  CHECK(find_invalid_utf8("a\xE4\xB8") == 1u);               // truncated at the end
  CHECK(find_invalid_utf8("a\xE4\xB8z") == 1u);              // truncated in the middle
  CHECK(find_invalid_utf8(std::string_view("a\0b", 3)) == std::nullopt);

  CHECK(complete_utf8_prefix("") == 0);
  CHECK(complete_utf8_prefix("ab") == 2);
  CHECK(complete_utf8_prefix("a\xE4\xB8\xAD") == 4);
  CHECK(complete_utf8_prefix("a\xE4\xB8") == 1);
  CHECK(complete_utf8_prefix("a\xF0\x9F\xA6") == 1);
  CHECK(complete_utf8_prefix("a\xF0") == 1);
  CHECK(complete_utf8_prefix("a\x80") == 2);      // invalid, not incomplete: left for validation
  CHECK(complete_utf8_prefix("a\xED\xA0") == 3);  // a surrogate can never complete
}

TEST_CASE("errors name the input and the problem") {
  SUBCASE("invalid UTF-8 gives the byte offset") {
    for (const std::string text : {"abc\xFF", "abc\xC0\x80", "abc\xED\xA0\x80", "abc\xF4\x90\x80\x80", "abc\xE4\xB8"}) {
      const std::string message = error_message([&] { llama2().encode(text); });
      CHECK(message.find("UTF-8") != std::string::npos);
      CHECK(message.find("byte offset 3") != std::string::npos);
    }
  }
  SUBCASE("a file that is not a SentencePiece model") {
    test::TempDir dir;
    test::write_file(dir / "tokenizer.model", "this is not a protobuf");
    const std::pair<fs::path, fs::path> path_and_culprit[] = {
        {kStories / "tok512.bin", kStories / "tok512.bin"},  // llama2.c's own tokenizer format
        {dir / "tokenizer.model", dir / "tokenizer.model"},
        {dir.path(), dir / "tokenizer.model"},
    };
    for (const auto& [path_key, culprit] : path_and_culprit) {
      const auto& path = path_key;
      const std::string message = error_message([&] { load_tokenizer(path); });
      CHECK(message.find("not a SentencePiece") != std::string::npos);
      CHECK(message.find(culprit.string()) != std::string::npos);
    }
  }
  // A fuzz_sentencepiece finding: libsentencepiece's trie builder threw its
  // own exception ("zero-length key") for a piece of a NUL byte and 0x99.
  SUBCASE("a model whose piece libsentencepiece cannot index") {
    test::TempDir dir;
    const char bytes[] = "\x0a\x0e\x0a\x05<unk>\x15\0\0\0\0\x18\x02\x0a\x0c\x0a\x03\0\x99>\x15\0\0\0\0H0";
    test::write_file(dir / "tokenizer.model", std::string(bytes, sizeof bytes - 1));
    const std::string message = error_message([&] { load_tokenizer(dir / "tokenizer.model"); });
    CHECK(message.find("not a SentencePiece") != std::string::npos);
    CHECK(message.find((dir / "tokenizer.model").string()) != std::string::npos);
  }
  SUBCASE("a path that does not exist") {
    const fs::path missing = test::shared_dir() / "no-such-tokenizer.model";
    const std::string message = error_message([&] { load_tokenizer(missing); });
    CHECK(message.find(missing.string()) != std::string::npos);
    CHECK(message.find("no such file") != std::string::npos);
  }
  SUBCASE("a directory without tokenizer files says what it looked for") {
    test::TempDir dir;
    test::write_file(dir / "config.json", "{}");
    const std::string message = error_message([&] { load_tokenizer(dir.path()); });
    CHECK(message.find(dir.path().string()) != std::string::npos);
    CHECK(message.find("tokenizer.model") != std::string::npos);
  }
}

}  // namespace attn
