// Text through real tokenizers: GPT-2 and BERT (tokenizer.json) and Llama 2
// (SentencePiece), loaded once from ../shared; encode, decode, stream.
#include <memory>
#include <vector>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::shared_ptr<const attn::Tokenizer>> tokenizers = [] {
    std::vector<std::shared_ptr<const attn::Tokenizer>> loaded;
    for (const char* name : {"gpt2", "bert-base-uncased", "llama2"}) {
      loaded.push_back(attn::load_tokenizer(attn::fuzz::shared_dir() / "tokenizers" / name));
    }
    return loaded;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& tokenizer : tokenizers) attn::fuzz::exercise_tokenizer(*tokenizer, text);
  return 0;
}
