// Hugging Face's MarianTokenizer: source text -> source.spm pieces -> ids of
// the joint vocab.json (+ </s>); target ids -> vocab.json pieces ->
// target.spm's detokenisation. Encoding is the source side, decoding the
// target side, as in translation.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "attn/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

class MarianTokenizer final : public Tokenizer {
 public:
  // `directory` holds source.spm, target.spm and vocab.json. Throws
  // attn::Error naming the file that is missing or malformed.
  explicit MarianTokenizer(const std::filesystem::path& directory);
  ~MarianTokenizer() override;

  // Pieces missing from vocab.json become <unk>; with add_special, </s> ends the ids.
  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  // Skips </s>, <unk> and <pad>, as decode(skip_special_tokens=True).
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  TokenId bos_id() const override { return -1; }
  TokenId eos_id() const override { return eos_; }
  std::string token_text(TokenId id) const override;
  // The id of a piece (e.g. a ">>fra<<" target-language token); -1 if absent.
  TokenId piece_id(const std::string& piece) const;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> source_, target_;
  std::unordered_map<std::string, TokenId> ids_;
  std::vector<std::string> pieces_;  // by id
  TokenId eos_ = -1, unk_ = -1, pad_ = -1;
};

// True when `directory` holds a Marian tokenizer (source.spm and vocab.json).
bool is_marian_tokenizer_directory(const std::filesystem::path& directory);

}  // namespace attn
