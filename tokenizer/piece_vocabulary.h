// The files of the tokenizers that map SentencePiece pieces through a
// vocab.json (Marian's joint vocabulary, M2M-100's fairseq dictionary): the
// vocabulary, checked (every id in range and unique), and the models.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "attn/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

struct PieceVocabulary {
  std::vector<std::string> pieces;  // by id
  std::unordered_map<std::string, TokenId> ids;

  // -1 if absent.
  TokenId id(const std::string& piece) const {
    const auto it = ids.find(piece);
    return it == ids.end() ? -1 : it->second;
  }
};

// Throws attn::Error naming the file and the bad entry.
PieceVocabulary read_piece_vocabulary(const std::filesystem::path& path);
std::unique_ptr<sentencepiece::SentencePieceProcessor> read_sentencepiece_model(const std::filesystem::path& path);

}  // namespace attn
