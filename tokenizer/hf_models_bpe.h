// Byte-pair encoding, as Hugging Face tokenizers' BPE model: merges applied
// lowest rank first, unknown characters to unk (optionally fused) or to
// <0xXX> byte tokens, optional continuing-subword prefix and end-of-word
// suffix, ignore_merges for words already in the vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "tokenizer/hf_model.h"
#include "tokenizer/hf_word_cache.h"

namespace attn::hf {

class BpeModel final : public Model {
 public:
  explicit BpeModel(const Json& config);

  void tokenize(std::string_view word, std::vector<TokenId>& out) const override;
  const Vocab& vocab() const override { return vocab_; }

 private:
  struct Merge {
    int32_t rank;
    TokenId id;  // of the merged token
  };
  static uint64_t pair_key(TokenId left, TokenId right) {
    return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
  }
  void read_merges(const Json& merges);
  const Merge* find_merge(TokenId left, TokenId right) const;
  std::vector<TokenId> merge_word(std::string_view word) const;

  Vocab vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  TokenId unk_id_ = -1;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  WordCache cache_;
};

}  // namespace attn::hf
