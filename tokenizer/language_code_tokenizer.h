// What the fairseq translation tokenizers (M2M100Tokenizer, NllbTokenizer)
// share: a SentencePiece model whose pieces are numbered in fairseq's
// dictionary (<s> <pad> </s> <unk> first), one token per language code, and
// the source language's token around the text: [code] text </s> (NLLB's
// legacy_behaviour: text </s> [code]). Subclasses number the pieces, name
// the codes and decode.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attn/tokenizer.h"
#include "json/checked.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

class LanguageCodeTokenizer : public Tokenizer {
 public:
  ~LanguageCodeTokenizer() override;

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  // The source layout around a (and b): prefix_tokens + ids + suffix_tokens.
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  TokenId bos_id() const override { return bos_; }
  TokenId eos_id() const override { return eos_; }
  std::map<std::string, TokenId> language_codes() const override { return languages_; }
  std::vector<TokenId> encode_source(std::string_view text, const std::string& language) const override;

 protected:
  // Where the source language's token goes.
  enum class Layout { CodeFirst, CodeLast };

  explicit LanguageCodeTokenizer(const std::filesystem::path& sentencepiece_model);

  // The ids of the text's pieces, no special tokens added.
  virtual std::vector<TokenId> text_ids(std::string_view text) const = 0;
  // SentencePiece's pieces (or ids) of `text`; throws on invalid UTF-8.
  std::vector<std::string> encode_pieces(std::string_view text) const;
  std::vector<int> encode_piece_ids(std::string_view text) const;
  // SentencePiece's detokenisation of pieces.
  std::string decode_pieces(const std::vector<std::string>& pieces) const;

  // Sets the language codes (by token) and the default source language,
  // tokenizer_config.json's src_lang; errors name `config_path`.
  void set_languages(std::map<std::string, TokenId> languages, const std::string& source_language,
                     const std::filesystem::path& config_path);
  bool is_language(TokenId id) const { return language_ids_.count(id) > 0; }

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  TokenId bos_ = 0, pad_ = 1, eos_ = 2, unk_ = 3;  // fairseq's dictionary
  Layout layout_ = Layout::CodeFirst;

 private:
  std::vector<TokenId> with_language(std::vector<TokenId> ids, TokenId language) const;

  std::map<std::string, TokenId> languages_;
  std::map<TokenId, std::string> language_ids_;
  TokenId source_language_ = -1;
};

// tokenizer_config.json beside a tokenizer as an object ({} when absent);
// errors name the file.
nlohmann::json read_tokenizer_config_object(const std::filesystem::path& directory);
// config[key] as a string; `fallback` when absent or null.
std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback,
                          const std::filesystem::path& path);

// Strips ASCII whitespace at both ends (Python's str.strip() on the texts these tokenizers decode).
std::string strip_whitespace(const std::string& text);

}  // namespace attn
