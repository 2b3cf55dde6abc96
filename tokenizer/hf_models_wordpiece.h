// WordPiece, as in BERT: greedy longest-match-first sub-words, continuation
// pieces carrying a prefix ("##"); a word with any unmatched part, or longer
// than max_input_chars_per_word characters, becomes the unk token.
#pragma once

#include <string>

#include "tokenizer/hf_model.h"
#include "tokenizer/hf_word_cache.h"

namespace attn::hf {

class WordPieceModel final : public Model {
 public:
  explicit WordPieceModel(const Json& config);

  void tokenize(std::string_view word, std::vector<TokenId>& out) const override;
  const Vocab& vocab() const override { return vocab_; }

 private:
  std::vector<TokenId> split_word(std::string_view word) const;

  Vocab vocab_;
  std::string unk_token_;
  std::string prefix_;
  size_t max_chars_;
  WordCache cache_;
};

}  // namespace attn::hf
