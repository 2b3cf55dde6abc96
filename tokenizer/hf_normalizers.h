// tokenizer.json "normalizer": rewrites text before it is split.
// Types: NFC NFD NFKC NFKD Lowercase Strip StripAccents Replace Prepend
// BertNormalizer Sequence, with Hugging Face tokenizers' semantics.
#pragma once

#include <memory>
#include <string>

#include "tokenizer/hf_json.h"

namespace attn::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// nullptr for a null config (no normalizer). Throws attn::Error on an
// unknown type.
std::unique_ptr<const Normalizer> make_normalizer(const Json& config);

}  // namespace attn::hf
