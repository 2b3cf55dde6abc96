// tokenizer.json "pre_tokenizer": splits normalized text into the words the
// model tokenizes one at a time. Types: ByteLevel Split Whitespace
// WhitespaceSplit BertPreTokenizer Metaspace Digits Punctuation
// CharDelimiterSplit Sequence, with Hugging Face tokenizers' semantics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hf_json.h"

namespace attn::hf {

struct PreToken {
  std::string text;
  // Whether the token begins where the input text begins (Metaspace's
  // prepend_scheme "first" looks at it).
  bool at_text_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each token by the tokens it splits into; empty ones are dropped.
  virtual void pre_tokenize(std::vector<PreToken>& tokens) const = 0;
};

// nullptr for a null config. Throws attn::Error on an unknown type.
std::unique_ptr<const PreTokenizer> make_pre_tokenizer(const Json& config);

}  // namespace attn::hf
