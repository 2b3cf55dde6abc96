// Loading a serialized SentencePiece model without letting libsentencepiece's
// own exceptions through: its trie builder throws (it does not return a bad
// status) on a piece it cannot index, such as one that is empty after its
// normalisation (a fuzz_sentencepiece finding).
#pragma once

#include <string>
#include <string_view>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

// "" when the model loaded, else what was wrong with it.
std::string load_sentencepiece(sentencepiece::SentencePieceProcessor& processor, std::string_view serialized);

}  // namespace attn
