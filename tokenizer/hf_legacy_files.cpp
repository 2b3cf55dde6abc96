#include "tokenizer/hf_legacy_files.h"

#include <algorithm>
#include <fstream>

#include "attn/error.h"

namespace attn::hf {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the file");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// Special tokens as added_tokens entries, for those the vocabulary has. A
// tokenizer_config.json with added_tokens_decoder lists them itself.
Json special_added_tokens(const Json& vocab, const TokenizerConfig& config,
                          const std::vector<std::pair<const char*, const char*>>& roles) {
  Json added = Json::array();
  if (has(config.json, "added_tokens_decoder")) {
    for (const auto& [id, token] : config.json.at("added_tokens_decoder").items()) {
      Json entry = token;
      // The keys are ids as strings ("32000"); parse them as JSON numbers so
      // the id goes through the same range check as every other id.
      entry["id"] = json_int<int32_t>(parse_json(id, "added_tokens_decoder key"), "added_tokens_decoder key");
      added.push_back(entry);
    }
    return added;
  }
  std::vector<std::string> seen;
  for (const auto& [role, fallback] : roles) {
    const std::string content = special_token_content(config.json, role).value_or(fallback);
    if (!vocab.contains(content) || std::find(seen.begin(), seen.end(), content) != seen.end()) continue;
    seen.push_back(content);
    added.push_back({{"id", vocab.at(content)}, {"content", content}, {"special", true}, {"lstrip", false},
                     {"rstrip", false}, {"single_word", false}, {"normalized", false}});
  }
  return added;
}

// Pieces of a TemplateProcessing template.
Json special_piece(const std::string& token) { return {{"SpecialToken", {{"id", token}, {"type_id", 0}}}}; }
Json sequence_piece() { return {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}; }

}  // namespace

Json gpt2_tokenizer_json(const fs::path& vocab_json, const fs::path& merges_txt, const TokenizerConfig& config) {
  Json vocab = read_json_file(vocab_json);
  if (!vocab.is_object()) throw Error(vocab_json.string() + ": expected an object of token: id");
  Json merges = Json::array();
  for (const std::string& line : read_lines(merges_txt)) {
    if (line.empty() || line.starts_with("#version")) continue;
    merges.push_back(line);
  }
  const bool add_prefix_space = get_or(config.json, "add_prefix_space", false);
  Json tokenizer = {
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"post_processor", {{"type", "ByteLevel"}}},
  };
  const std::string bos = config.bos_token.value_or("<|endoftext|>");
  if (get_or(config.json, "add_bos_token", false)) {
    if (!vocab.contains(bos)) throw Error(vocab_json.string() + ": add_bos_token is set but \"" + bos + "\" is not in the vocabulary");
    tokenizer["post_processor"] = {{"type", "TemplateProcessing"},
                                   {"single", {special_piece(bos), sequence_piece()}},
                                   {"special_tokens", {{bos, {{"id", bos}, {"ids", {vocab.at(bos)}}}}}}};
  }
  tokenizer["added_tokens"] =
      special_added_tokens(vocab, config, {{"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"}});
  tokenizer["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  return tokenizer;
}

Json bert_tokenizer_json(const fs::path& vocab_txt, const TokenizerConfig& config) {
  Json vocab = Json::object();
  int id = 0;
  for (const std::string& token : read_lines(vocab_txt)) vocab[token] = id++;
  const auto role = [&](const char* key, const char* fallback) {
    return special_token_content(config.json, key).value_or(fallback);
  };
  const std::string cls = role("cls_token", "[CLS]"), sep = role("sep_token", "[SEP]");
  for (const std::string& token : {cls, sep}) {
    if (!vocab.contains(token)) throw Error(vocab_txt.string() + ": special token \"" + token + "\" is not in the vocabulary");
  }
  const bool lowercase = get_or(config.json, "do_lower_case", true);
  Json tokenizer = {
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", get_or(config.json, "tokenize_chinese_chars", true)},
        {"strip_accents", has(config.json, "strip_accents") ? config.json.at("strip_accents") : Json(nullptr)},
        {"lowercase", lowercase}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {special_piece(cls), sequence_piece(), special_piece(sep)}},
        {"special_tokens",
         {{cls, {{"id", cls}, {"ids", {vocab.at(cls)}}}}, {sep, {{"id", sep}, {"ids", {vocab.at(sep)}}}}}}}},
  };
  tokenizer["added_tokens"] = special_added_tokens(vocab, config,
                                                   {{"pad_token", "[PAD]"},
                                                    {"unk_token", "[UNK]"},
                                                    {"cls_token", "[CLS]"},
                                                    {"sep_token", "[SEP]"},
                                                    {"mask_token", "[MASK]"}});
  tokenizer["model"] = {{"type", "WordPiece"},
                        {"unk_token", role("unk_token", "[UNK]")},
                        {"continuing_subword_prefix", "##"},
                        {"max_input_chars_per_word", 100},
                        {"vocab", std::move(vocab)}};
  return tokenizer;
}

}  // namespace attn::hf
