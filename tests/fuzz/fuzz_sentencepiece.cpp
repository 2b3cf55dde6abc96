// SentencePiece tokenizer.model bytes (a protobuf), then encode and decode.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("tokenizer.model", data, size);
  try {
    const auto tokenizer = attn::load_tokenizer(path);
    attn::fuzz::exercise_tokenizer(*tokenizer, "Once upon a time, naïve café 12345 \n end");
  } catch (const attn::Error&) {
  }
  return 0;
}
