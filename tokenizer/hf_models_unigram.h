// Unigram language model (SentencePiece's, as Hugging Face runs it): the
// segmentation with the highest total score, found by Viterbi over every
// vocabulary piece matching at each position. Characters no piece covers
// score as unk; consecutive unknowns fuse into one, which byte_fallback
// then spells as <0xXX> tokens.
#pragma once

#include <optional>
#include <vector>

#include "tokenizer/hf_byte_trie.h"
#include "tokenizer/hf_model.h"
#include "tokenizer/hf_word_cache.h"

namespace attn::hf {

class UnigramModel final : public Model {
 public:
  explicit UnigramModel(const Json& config);

  void tokenize(std::string_view word, std::vector<TokenId>& out) const override;
  const Vocab& vocab() const override { return vocab_; }

 private:
  std::vector<std::string_view> best_segmentation(std::string_view word) const;
  void append_piece_ids(std::string_view piece, std::vector<TokenId>& out) const;

  Vocab vocab_;
  std::vector<double> scores_;
  ByteTrie trie_;
  std::optional<TokenId> unk_id_;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
  WordCache cache_;
};

}  // namespace attn::hf
