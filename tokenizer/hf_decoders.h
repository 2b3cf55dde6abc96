// tokenizer.json "decoder": turns token strings back into text. Types:
// ByteLevel WordPiece Metaspace ByteFallback Fuse Strip Replace BPEDecoder
// Sequence, with Hugging Face tokenizers' semantics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hf_json.h"

namespace attn::hf {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings; the text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Removes the spaces word-level tokenizers leave before punctuation and
// contractions (" ." -> ".", " n't" -> "n't", ...) as transformers'
// clean_up_tokenization does; the WordPiece decoder's cleanup also turns
// " do not" into " don't".
std::string clean_up_tokenization(std::string text, bool do_not_to_dont = false);

// nullptr for a null config. Throws attn::Error on an unknown type.
std::unique_ptr<const Decoder> make_decoder(const Json& config);

}  // namespace attn::hf
