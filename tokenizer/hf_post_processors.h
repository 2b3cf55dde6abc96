// tokenizer.json "post_processor": adds the special tokens around one
// encoded text or a pair, and gives every id its segment (type id). Types:
// TemplateProcessing BertProcessing RobertaProcessing ByteLevel Sequence.
#pragma once

#include <memory>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_json.h"

namespace attn::hf {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // `encoding` holds the texts' ids so far, the second text's with type 1
  // (as tokenizers encodes a pair before post-processing); `first_length`
  // says where the first text ends, `pair` whether there is a second.
  virtual void process(Encoding& encoding, size_t first_length, bool pair) const = 0;
  // Whether a pair comes out as one sequence (templates) or still two.
  virtual bool joins_pair() const { return true; }
  // Every id it inserts (checked against the vocabulary at load).
  virtual std::vector<TokenId> inserted_ids() const { return {}; }
};

// nullptr for a null config. Throws attn::Error on an unknown type.
std::unique_ptr<const PostProcessor> make_post_processor(const Json& config);

}  // namespace attn::hf
