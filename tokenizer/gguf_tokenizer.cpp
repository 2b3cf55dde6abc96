#include "tokenizer/gguf_tokenizer.h"

#include <array>
#include <cstring>
#include <string_view>

#include "attn/error.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace attn {
namespace {

using nlohmann::json;

// llama.cpp's token types, numbered as SentencePiece's piece types.
enum TokenType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

class Keys {
 public:
  Keys(const json& metadata, const std::string& source) : metadata_(metadata), source_(source) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(source_ + ": metadata '" + key + "' " + problem);
  }
  bool has(const std::string& key) const { return metadata_.contains(key); }
  const json& array(const std::string& key, size_t size = 0) const {
    if (!has(key)) fail(key, "is missing");
    const json& value = metadata_[key];
    if (!value.is_array()) fail(key, "must be an array");
    if (size && value.size() != size) {
      fail(key, "has " + std::to_string(value.size()) + " entries for " + std::to_string(size) + " tokens");
    }
    return value;
  }
  std::vector<std::string> strings(const std::string& key) const {
    std::vector<std::string> values;
    for (const json& value : array(key)) {
      if (!value.is_string()) fail(key, "must be an array of strings");
      values.push_back(value.get<std::string>());
    }
    return values;
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!metadata_[key].is_string()) fail(key, "must be a string");
    return metadata_[key].get<std::string>();
  }
  bool flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!metadata_[key].is_boolean()) fail(key, "must be a bool");
    return metadata_[key].get<bool>();
  }
  // A token id that must index the vocabulary; -1 when absent.
  int id(const std::string& key, size_t vocab) const {
    if (!has(key)) return -1;
    const json& value = metadata_[key];
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<uint64_t>() >= vocab) {
      fail(key, "is " + value.dump() + ", not a token id below the vocabulary size " + std::to_string(vocab));
    }
    return value.get<int>();
  }

 private:
  const json& metadata_;
  const std::string& source_;
};

std::vector<int> token_types(const Keys& keys, size_t vocab) {
  std::vector<int> types(vocab, kNormal);
  if (!keys.has("tokenizer.ggml.token_type")) return types;
  const json& values = keys.array("tokenizer.ggml.token_type", vocab);
  for (size_t i = 0; i < vocab; ++i) {
    if (!values[i].is_number_integer()) keys.fail("tokenizer.ggml.token_type", "must be an array of integers");
    types[i] = values[i].get<int>();
  }
  return types;
}

// --- SentencePiece: a ModelProto in protobuf's wire format (sentencepiece_model.proto).

void put_varint(std::string& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(static_cast<char>(byte | (value ? 0x80 : 0)));
  } while (value);
}
void put_tag(std::string& out, int field, int wire_type) { put_varint(out, (static_cast<uint64_t>(field) << 3) | wire_type); }
void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_int(std::string& out, int field, int64_t value) {
  put_tag(out, field, 0);
  put_varint(out, static_cast<uint64_t>(value));  // negative int32s are 10-byte varints
}
void put_float(std::string& out, int field, float value) {
  put_tag(out, field, 5);
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out.append(bytes, 4);
}

std::shared_ptr<const Tokenizer> sentencepiece_tokenizer(const Keys& keys, const std::string& source) {
  const std::vector<std::string> tokens = keys.strings("tokenizer.ggml.tokens");
  const std::vector<int> types = token_types(keys, tokens.size());
  std::vector<float> scores(tokens.size(), 0.f);
  if (keys.has("tokenizer.ggml.scores")) {
    const json& values = keys.array("tokenizer.ggml.scores", tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (!values[i].is_number()) keys.fail("tokenizer.ggml.scores", "must be an array of numbers");
      scores[i] = values[i].get<float>();
    }
  }
  std::string model;
  bool byte_fallback = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] < kNormal || types[i] > kByte) {
      keys.fail("tokenizer.ggml.token_type", "holds type " + std::to_string(types[i]) + " for token " + std::to_string(i));
    }
    byte_fallback |= types[i] == kByte;
    std::string piece;
    put_bytes(piece, 1, tokens[i]);
    put_float(piece, 2, scores[i]);
    put_int(piece, 3, types[i]);
    put_bytes(model, 1, piece);
  }
  // Llama's tokenizer.model: a BPE model over the pieces' scores.
  std::string trainer;
  put_int(trainer, 3, 2);  // model_type = BPE
  put_int(trainer, 35, byte_fallback);
  const auto special_piece = [&](int field, const char* key) {
    const int id = keys.id(key, tokens.size());
    if (id >= 0) put_bytes(trainer, field, tokens[id]);
  };
  special_piece(45, "tokenizer.ggml.unknown_token_id");
  special_piece(46, "tokenizer.ggml.bos_token_id");
  special_piece(47, "tokenizer.ggml.eos_token_id");
  special_piece(48, "tokenizer.ggml.padding_token_id");
  put_bytes(model, 2, trainer);
  std::string normalizer;
  put_bytes(normalizer, 1, "identity");
  put_int(normalizer, 3, keys.flag("tokenizer.ggml.add_space_prefix", true));
  put_int(normalizer, 4, keys.flag("tokenizer.ggml.remove_extra_whitespaces", false));
  put_int(normalizer, 5, 1);  // escape_whitespaces: spaces become U+2581
  put_bytes(model, 3, normalizer);
  // Control, user-defined and unknown tokens written in the text are those tokens (Phi-3's <|user|>), as in llama.cpp.
  std::vector<std::pair<std::string, TokenId>> special_tokens;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == kControl || types[i] == kUserDefined || types[i] == kUnknown) {
      special_tokens.emplace_back(tokens[i], static_cast<TokenId>(i));
    }
  }
  return std::make_shared<SentencePieceTokenizer>(model, keys.flag("tokenizer.ggml.add_bos_token", true),
                                                  keys.flag("tokenizer.ggml.add_eos_token", false), source,
                                                  std::move(special_tokens));
}

// --- Hugging Face tokenizer.json documents.

json split(const char* pattern) {
  return {{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}};
}
json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", use_regex}};
}

// tokenizer.ggml.pre names the pre-tokenizer llama.cpp recognised from the
// model's tokenizer.json; these are those files' pre-tokenizers.
struct BpeFlavour {
  json pre_tokenizer;
  json normalizer;
  bool ignore_merges = false;
};

BpeFlavour bpe_flavour(const Keys& keys) {
  const std::string pre = keys.string("tokenizer.ggml.pre", "default");
  constexpr const char* kLlama3 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  constexpr const char* kQwen2 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  constexpr const char* kGpt4o =
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
      "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const auto sequence = [](std::initializer_list<json> steps) {
    return json{{"type", "Sequence"}, {"pretokenizers", json::array_t(steps)}};
  };
  if (pre == "default" || pre == "gpt-2" || pre == "gpt2") return {byte_level(true), nullptr};
  if (pre == "llama-bpe" || pre == "llama3" || pre == "smaug-bpe") {
    return {sequence({split(kLlama3), byte_level(false)}), nullptr, true};
  }
  if (pre == "qwen2") return {sequence({split(kQwen2), byte_level(false)}), {{"type", "NFC"}}};
  if (pre == "gpt-4o") return {sequence({split(kGpt4o), byte_level(false)}), nullptr};
  if (pre == "deepseek-v3") {
    return {sequence({split("\\p{N}{1,3}"), split("[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"),
                      split("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| "
                            "?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
                      byte_level(false)}),
            nullptr};
  }
  keys.fail("tokenizer.ggml.pre", "is '" + pre + "', a pre-tokenizer attn does not know (it knows default, gpt-2, "
            "llama-bpe, llama3, smaug-bpe, qwen2, gpt-4o, deepseek-v3); put the model's tokenizer.json beside the file");
}

// Control and user-defined tokens are matched whole before the model runs,
// as tokenizer.json's added_tokens.
json added_tokens(const std::vector<std::string>& tokens, const std::vector<int>& types) {
  json added = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] != kControl && types[i] != kUserDefined) continue;
    added.push_back({{"id", i}, {"content", tokens[i]}, {"special", types[i] == kControl}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}});
  }
  return added;
}

// [first] $A [last] for a single text, each text framed so for a pair.
json template_processing(const std::vector<std::string>& tokens, int first, int last) {
  json single = json::array(), pair = json::array(), special = json::object();
  const auto special_token = [&](int id, int type) {
    special[tokens[id]] = {{"id", tokens[id]}, {"ids", {id}}, {"tokens", {tokens[id]}}};
    return json{{"SpecialToken", {{"id", tokens[id]}, {"type_id", type}}}};
  };
  for (int segment = 0; segment < 2; ++segment) {
    json& steps = segment == 0 ? single : pair;
    for (int part = 0; part <= segment; ++part) {
      if (first >= 0 && (part == 0 || segment == 0 || last < 0)) steps.push_back(special_token(first, part));
      steps.push_back({{"Sequence", {{"id", part == 0 ? "A" : "B"}, {"type_id", part}}}});
      if (last >= 0) steps.push_back(special_token(last, part));
    }
  }
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", special}};
}

hf::TokenizerConfig config_for(const std::vector<std::string>& tokens, int bos, int eos) {
  hf::TokenizerConfig config;
  if (bos >= 0) config.bos_token = tokens[bos];
  if (eos >= 0) config.eos_token = tokens[eos];
  return config;
}

std::shared_ptr<const Tokenizer> bpe_tokenizer(const Keys& keys) {
  const std::vector<std::string> tokens = keys.strings("tokenizer.ggml.tokens");
  const std::vector<int> types = token_types(keys, tokens.size());
  json vocab = json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  BpeFlavour flavour = bpe_flavour(keys);
  json document = {
      {"normalizer", flavour.normalizer},
      {"pre_tokenizer", flavour.pre_tokenizer},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", keys.strings("tokenizer.ggml.merges")},
                 {"ignore_merges", flavour.ignore_merges}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"added_tokens", added_tokens(tokens, types)},
  };
  const int bos = keys.id("tokenizer.ggml.bos_token_id", tokens.size());
  const int eos = keys.id("tokenizer.ggml.eos_token_id", tokens.size());
  const bool add_bos = keys.flag("tokenizer.ggml.add_bos_token", false) && bos >= 0;
  const bool add_eos = keys.flag("tokenizer.ggml.add_eos_token", false) && eos >= 0;
  if (add_bos || add_eos) document["post_processor"] = template_processing(tokens, add_bos ? bos : -1, add_eos ? eos : -1);
  return std::make_shared<hf::HfTokenizer>(document, config_for(tokens, bos, eos));
}

// convert_hf_to_gguf.py stores BERT's WordPiece vocabulary with word-initial
// pieces marked by U+2581 and continuations bare; tokenizer.json's spelling
// is the reverse ("word", "##piece").
std::string wordpiece_spelling(const std::string& token) {
  static const std::string kWordStart = "\xe2\x96\x81";
  if (token.size() >= 2 && token.front() == '[' && token.back() == ']') return token;
  if (token.starts_with(kWordStart)) return token.substr(kWordStart.size());
  return "##" + token;
}

std::shared_ptr<const Tokenizer> wordpiece_tokenizer(const Keys& keys) {
  std::vector<std::string> tokens = keys.strings("tokenizer.ggml.tokens");
  const std::vector<int> types = token_types(keys, tokens.size());
  for (std::string& token : tokens) token = wordpiece_spelling(token);
  json vocab = json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  const int unknown = keys.id("tokenizer.ggml.unknown_token_id", tokens.size());
  const int cls = keys.id("tokenizer.ggml.cls_token_id", tokens.size());
  const int sep = keys.id("tokenizer.ggml.seperator_token_id", tokens.size());  // llama.cpp's spelling
  if (unknown < 0) keys.fail("tokenizer.ggml.unknown_token_id", "is missing; WordPiece needs an unknown token");
  json document = {
      // llama.cpp's WordPiece lower-cases, strips accents and splits CJK, as bert-base-uncased's does.
      {"normalizer", {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                      {"strip_accents", nullptr}, {"lowercase", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"model", {{"type", "WordPiece"}, {"unk_token", tokens[unknown]}, {"continuing_subword_prefix", "##"},
                 {"max_input_chars_per_word", 100}, {"vocab", vocab}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"added_tokens", added_tokens(tokens, types)},
  };
  if (cls >= 0 || sep >= 0) document["post_processor"] = template_processing(tokens, cls, sep);
  return std::make_shared<hf::HfTokenizer>(document, config_for(tokens, cls, sep));
}

}  // namespace

std::shared_ptr<const Tokenizer> tokenizer_from_gguf(const json& metadata, const std::string& source) {
  const Keys keys(metadata, source);
  const std::string model = keys.string("tokenizer.ggml.model", "");
  if (model == "llama") return sentencepiece_tokenizer(keys, source);
  if (model == "gpt2") return bpe_tokenizer(keys);
  if (model == "bert") return wordpiece_tokenizer(keys);
  if (model.empty()) {
    throw Error(source + ": the file has no tokenizer (no tokenizer.ggml.model); pass one with --tokenizer PATH");
  }
  keys.fail("tokenizer.ggml.model", "is '" + model + "'; attn reads llama (SentencePiece), gpt2 (BPE) and bert "
            "(WordPiece) vocabularies; pass a tokenizer with --tokenizer PATH");
}

namespace {

// A pre-tokenizer's splitting rules in order: its regexes and whether its
// byte-level step splits too.
void collect_splits(const json& node, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const json& step : node) collect_splits(step, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.value("type", "") == "ByteLevel") out.push_back(node.value("use_regex", true) ? "<byte-level split>" : "<byte-level>");
  if (node.contains("Regex") && node["Regex"].is_string()) out.push_back(node["Regex"].get<std::string>());
  for (const auto& [key, value] : node.items()) {
    if (key != "Regex") collect_splits(value, out);
  }
}

}  // namespace

std::optional<std::string> gguf_pre_tokenizer_name(const json& tokenizer_json) {
  if (!tokenizer_json.is_object() || !tokenizer_json.contains("pre_tokenizer")) return std::nullopt;
  std::vector<std::string> splits;
  collect_splits(tokenizer_json["pre_tokenizer"], splits);
  for (const char* name : {"gpt-2", "llama-bpe", "qwen2", "gpt-4o", "deepseek-v3"}) {
    const json metadata = {{"tokenizer.ggml.pre", name}};
    std::vector<std::string> known;
    collect_splits(bpe_flavour(Keys(metadata, "")).pre_tokenizer, known);
    if (known == splits) return name;
  }
  return std::nullopt;
}

}  // namespace attn
