// Hugging Face's NllbTokenizer / NllbTokenizerFast (NLLB-200, an
// M2M100ForConditionalGeneration): sentencepiece.bpe.model pieces at their
// SentencePiece id + 1 (fairseq's <s> <pad> </s> <unk> take 0-3, and the
// model's own <unk> is 3), then the added tokens: the language codes
// ("eng_Latn", ... in FAIRSEQ_LANGUAGE_CODES order) and <mask> last, or what
// tokenizer_config.json's added_tokens_decoder lists after the pieces.
// Added tokens written in the text are those tokens, as Hugging Face splits
// the text on them. The source reads [src_lang] text </s>, or with
// "legacy_behaviour": true, text </s> [src_lang].
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/language_code_tokenizer.h"

namespace attn {
namespace hf {
class AddedVocabulary;
}

class NllbTokenizer final : public LanguageCodeTokenizer {
 public:
  // Throws attn::Error naming the missing or malformed file.
  explicit NllbTokenizer(const std::filesystem::path& directory);
  ~NllbTokenizer() override;

  // decode(skip_special_tokens=True): the special tokens are dropped, the
  // pieces joined with "▁" read as a space, stripped, and cleaned up when
  // clean_up_tokenization_spaces says so.
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override { return first_added_ + static_cast<int>(added_.size()); }
  std::string token_text(TokenId id) const override;

 private:
  std::vector<TokenId> text_ids(std::string_view text) const override;
  std::vector<TokenId> piece_ids(std::string_view text) const;

  TokenId first_added_ = 0;          // SentencePiece's size + 1
  std::vector<std::string> added_;   // by id - first_added_
  std::unique_ptr<hf::AddedVocabulary> splitter_;
  bool clean_up_spaces_ = false;
};

// True when `directory` holds sentencepiece.bpe.model and a
// tokenizer_config.json naming an Nllb* tokenizer class.
bool is_nllb_tokenizer_directory(const std::filesystem::path& directory);

}  // namespace attn
