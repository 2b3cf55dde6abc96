#include "tokenizer/language_code_tokenizer.h"

#include <sentencepiece_processor.h>

#include "attn/error.h"
#include "tokenizer/piece_vocabulary.h"
#include "tokenizer/utf8.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

void check_utf8(std::string_view text) {
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(*offset) + " of the text to tokenize; the input must be UTF-8");
  }
}

// A few of the known codes: NLLB has 202.
std::string known_codes(const std::map<std::string, TokenId>& languages) {
  std::string list;
  int shown = 0;
  for (const auto& [code, id] : languages) {
    if (shown++ == 8) return list + ", ... (" + std::to_string(languages.size()) + " codes)";
    list += (list.empty() ? "" : ", ") + code;
  }
  return list;
}

}  // namespace

nlohmann::json read_tokenizer_config_object(const fs::path& directory) {
  const fs::path path = directory / "tokenizer_config.json";
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return nlohmann::json::object();
  nlohmann::json config = read_json_file(path);
  if (!config.is_object()) throw Error(path.string() + ": expected a JSON object");
  return config;
}

std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback,
                          const fs::path& path) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_string()) throw Error(path.string() + ": \"" + key + "\" must be a string");
  return config[key].get<std::string>();
}

std::string strip_whitespace(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

LanguageCodeTokenizer::LanguageCodeTokenizer(const fs::path& sentencepiece_model)
    : processor_(read_sentencepiece_model(sentencepiece_model)) {}

LanguageCodeTokenizer::~LanguageCodeTokenizer() = default;

void LanguageCodeTokenizer::set_languages(std::map<std::string, TokenId> languages, const std::string& source_language,
                                          const fs::path& config_path) {
  languages_ = std::move(languages);
  for (const auto& [code, id] : languages_) language_ids_[id] = code;
  const auto source = languages_.find(source_language);
  if (source == languages_.end()) {
    throw Error(config_path.string() + ": unknown language code '" + source_language + "' in \"src_lang\"");
  }
  source_language_ = source->second;
}

std::vector<std::string> LanguageCodeTokenizer::encode_pieces(std::string_view text) const {
  check_utf8(text);
  std::vector<std::string> pieces;
  const auto status = processor_->Encode(text, &pieces);
  if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
  return pieces;
}

std::vector<int> LanguageCodeTokenizer::encode_piece_ids(std::string_view text) const {
  check_utf8(text);
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
  return ids;
}

std::string LanguageCodeTokenizer::decode_pieces(const std::vector<std::string>& pieces) const {
  std::string text;
  const auto status = processor_->Decode(pieces, &text);
  if (!status.ok()) throw Error(std::string("SentencePiece could not decode the pieces: ") + status.message());
  return text;
}

std::vector<TokenId> LanguageCodeTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<TokenId> ids = text_ids(text);
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

std::vector<TokenId> LanguageCodeTokenizer::with_language(std::vector<TokenId> ids, TokenId language) const {
  if (layout_ == Layout::CodeFirst) ids.insert(ids.begin(), language);
  ids.push_back(eos_);
  if (layout_ == Layout::CodeLast) ids.push_back(language);
  return ids;
}

Encoding LanguageCodeTokenizer::add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const {
  if (second) first.insert(first.end(), second->begin(), second->end());
  Encoding encoding;
  encoding.ids = with_language(std::move(first), source_language_);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  return encoding;
}

std::vector<TokenId> LanguageCodeTokenizer::encode_source(std::string_view text, const std::string& language) const {
  TokenId code = source_language_;
  if (!language.empty()) {
    const auto it = languages_.find(language);
    if (it == languages_.end()) {
      throw Error("unknown language code '" + language + "': the tokenizer knows " + known_codes(languages_));
    }
    code = it->second;
  }
  return with_language(text_ids(text), code);
}

}  // namespace attn
