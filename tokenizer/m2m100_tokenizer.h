// Hugging Face's M2M100Tokenizer: sentencepiece.bpe.model pieces through
// vocab.json (fairseq's dictionary: <s> <pad> </s> <unk> first), then the
// language tokens "__en__".. (tokenizer_config.json's language_codes:
// "m2m100", 100 codes, or "wmt21") numbered after the dictionary, then
// num_madeup_words fillers. encode() gives [__src_lang__] ids </s>.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tokenizer/language_code_tokenizer.h"
#include "tokenizer/piece_vocabulary.h"

namespace attn {

class M2M100Tokenizer final : public LanguageCodeTokenizer {
 public:
  // Throws attn::Error naming the missing or malformed file.
  explicit M2M100Tokenizer(const std::filesystem::path& directory);

  // decode(skip_special_tokens=True): <s>, <pad>, </s>, <unk> and language
  // tokens are dropped; a made-up word reads "<unk>", as the slow tokenizer has it.
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override;
  std::string token_text(TokenId id) const override;

 private:
  std::vector<TokenId> text_ids(std::string_view text) const override;

  PieceVocabulary vocab_;
  std::vector<std::string> codes_;  // by id - dictionary size
  int madeup_words_ = 8;
};

// True when `directory` holds an M2M-100 tokenizer (sentencepiece.bpe.model and vocab.json).
bool is_m2m100_tokenizer_directory(const std::filesystem::path& directory);

}  // namespace attn
