// tokenizer.json: the whole pipeline description (normalizer, pre-tokenizer,
// BPE / WordPiece / Unigram model, post-processor, decoder, added tokens),
// then encode and decode with whatever loaded.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("tokenizer.json", data, size);
  try {
    const auto tokenizer = attn::load_tokenizer(path);
    attn::fuzz::exercise_tokenizer(*tokenizer, "Hello world! It's 2024, naïve café \u00e9 <s> [CLS] \n\t  end");
  } catch (const attn::Error&) {
  }
  return 0;
}
