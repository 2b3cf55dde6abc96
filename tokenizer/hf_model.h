// tokenizer.json "model": turns one pre-token (word) into ids.
// Types: BPE, WordPiece, Unigram (a missing "type" is inferred from the
// fields, as Hugging Face does for older files).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_json.h"
#include "tokenizer/hf_vocab.h"

namespace attn::hf {

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of `word` to `out`.
  virtual void tokenize(std::string_view word, std::vector<TokenId>& out) const = 0;
  virtual const Vocab& vocab() const = 0;
};

// The {"token": id, ...} "vocab" of a BPE or WordPiece config.
Vocab read_vocab_object(const Json& config, std::string_view model_name);

// Throws attn::Error on an unknown type or an inconsistent model.
std::unique_ptr<const Model> make_model(const Json& config);

}  // namespace attn::hf
