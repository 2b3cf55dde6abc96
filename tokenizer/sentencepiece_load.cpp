#include "tokenizer/sentencepiece_load.h"

#include <sentencepiece_processor.h>

#include <exception>

namespace attn {

std::string load_sentencepiece(sentencepiece::SentencePieceProcessor& processor, std::string_view serialized) {
  try {
    const auto status = processor.LoadFromSerializedProto(serialized);
    return status.ok() ? std::string() : std::string(status.message());
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace attn
