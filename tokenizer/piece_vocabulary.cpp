#include "tokenizer/piece_vocabulary.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "attn/error.h"
#include "tokenizer/sentencepiece_load.h"
#include "json/checked.h"

namespace attn {

PieceVocabulary read_piece_vocabulary(const std::filesystem::path& path) {
  const nlohmann::json vocab = read_json_file(path);
  if (!vocab.is_object()) throw Error(path.string() + ": expected an object of piece -> id");
  PieceVocabulary v;
  v.pieces.resize(vocab.size());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [piece, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(vocab.size())) {
      throw Error(path.string() + ": the id of \"" + piece + "\" must be in 0.." + std::to_string(vocab.size() - 1));
    }
    const TokenId value = id.get<TokenId>();
    if (seen[value]) throw Error(path.string() + ": id " + std::to_string(value) + " appears twice");
    seen[value] = true;
    v.pieces[value] = piece;
    v.ids[piece] = value;
  }
  return v;
}

std::unique_ptr<sentencepiece::SentencePieceProcessor> read_sentencepiece_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the tokenizer file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  if (!load_sentencepiece(*processor, bytes.str()).empty()) throw Error(path.string() + ": not a SentencePiece model");
  return processor;
}

}  // namespace attn
