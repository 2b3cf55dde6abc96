// tokenizer.json "post_processor": adds the special tokens around an
// encoded sequence (attn encodes one sequence at a time, so only the
// "single" template applies). Types: TemplateProcessing BertProcessing
// RobertaProcessing ByteLevel Sequence.
#pragma once

#include <memory>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_json.h"

namespace attn::hf {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<TokenId>& ids) const = 0;
};

// nullptr for a null config. Throws attn::Error on an unknown type.
std::unique_ptr<const PostProcessor> make_post_processor(const Json& config);

}  // namespace attn::hf
