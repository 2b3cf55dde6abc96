#include "tokenizer/marian_tokenizer.h"

#include <sentencepiece_processor.h>

#include "attn/error.h"
#include "tokenizer/piece_vocabulary.h"
#include "tokenizer/utf8.h"

namespace attn {

namespace fs = std::filesystem;

bool is_marian_tokenizer_directory(const fs::path& directory) {
  std::error_code error;
  return fs::is_regular_file(directory / "source.spm", error) && fs::is_regular_file(directory / "vocab.json", error);
}

MarianTokenizer::MarianTokenizer(const fs::path& directory)
    : source_(read_sentencepiece_model(directory / "source.spm")),
      target_(read_sentencepiece_model(fs::exists(directory / "target.spm") ? directory / "target.spm"
                                                                            : directory / "source.spm")) {
  const fs::path vocab_path = directory / "vocab.json";
  PieceVocabulary vocab = read_piece_vocabulary(vocab_path);
  pieces_ = std::move(vocab.pieces);
  ids_ = std::move(vocab.ids);
  eos_ = piece_id("</s>");
  unk_ = piece_id("<unk>");
  pad_ = piece_id("<pad>");
  if (eos_ < 0 || unk_ < 0) throw Error(vocab_path.string() + ": the vocabulary needs </s> and <unk>");
}

MarianTokenizer::~MarianTokenizer() = default;

TokenId MarianTokenizer::piece_id(const std::string& piece) const {
  const auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<TokenId> MarianTokenizer::encode(std::string_view text, bool add_special) const {
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(*offset) + " of the text to tokenize; the input must be UTF-8");
  }
  std::vector<std::string> pieces;
  const auto status = source_->Encode(text, &pieces);
  if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
  std::vector<TokenId> ids;
  for (const std::string& piece : pieces) {
    const TokenId id = piece_id(piece);
    ids.push_back(id < 0 ? unk_ : id);
  }
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

Encoding MarianTokenizer::add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const {
  Encoding encoding;
  encoding.ids = std::move(first);
  if (second) encoding.ids.insert(encoding.ids.end(), second->begin(), second->end());  // as MarianTokenizer: a b </s>
  encoding.ids.push_back(eos_);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  return encoding;
}

std::string MarianTokenizer::decode(std::span<const TokenId> ids) const {
  std::vector<std::string> pieces;
  for (const TokenId id : ids) {
    if (id != eos_ && id != unk_ && id != pad_) pieces.push_back(token_text(id));
  }
  std::string text;
  const auto status = target_->Decode(pieces, &text);
  if (!status.ok()) throw Error(std::string("SentencePiece could not decode the pieces: ") + status.message());
  return text;
}

std::string MarianTokenizer::token_text(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(vocab_size() - 1) + ")");
  }
  return pieces_[id];
}

}  // namespace attn
