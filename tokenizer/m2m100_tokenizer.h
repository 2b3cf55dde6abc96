// Hugging Face's M2M100Tokenizer: sentencepiece.bpe.model pieces through
// vocab.json (fairseq's dictionary: <s> <pad> </s> <unk> first), then the
// language tokens "__en__".. (tokenizer_config.json's language_codes:
// "m2m100", 100 codes, or "wmt21") numbered after the dictionary, then
// num_madeup_words fillers. encode() gives [__src_lang__] ids </s>.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/piece_vocabulary.h"

namespace attn {

class M2M100Tokenizer final : public Tokenizer {
 public:
  // Throws attn::Error naming the missing or malformed file.
  explicit M2M100Tokenizer(const std::filesystem::path& directory);
  ~M2M100Tokenizer() override;

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  // [__src_lang__] a [b] </s> (prefix_tokens + ids + suffix_tokens).
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  // decode(skip_special_tokens=True): <s>, <pad>, </s>, <unk> and language
  // tokens are dropped; a made-up word reads "<unk>", as the slow tokenizer has it.
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override;
  TokenId bos_id() const override { return bos_; }
  TokenId eos_id() const override { return eos_; }
  std::string token_text(TokenId id) const override;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  PieceVocabulary vocab_;
  std::vector<std::string> languages_;  // codes, by id - vocabulary size
  TokenId source_language_ = -1;        // src_lang's token
  int madeup_words_ = 8;
  TokenId bos_ = -1, pad_ = -1, eos_ = -1, unk_ = -1;
};

// True when `directory` holds an M2M-100 tokenizer (sentencepiece.bpe.model and vocab.json).
bool is_m2m100_tokenizer_directory(const std::filesystem::path& directory);

}  // namespace attn
