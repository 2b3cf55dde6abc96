// Tokenizer over a SentencePiece model file (Llama's `tokenizer.model`).
#pragma once

#include <filesystem>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attn/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Reads the model and, when present, `tokenizer_config.json` beside it
  // (add_bos_token / add_eos_token, as Hugging Face's LlamaTokenizer).
  // Throws attn::Error naming the file when it is not a SentencePiece model.
  explicit SentencePieceTokenizer(const std::filesystem::path& model_path);
  // From a serialized ModelProto built elsewhere (GGUF metadata); `source`
  // names it in errors. `special_tokens` are matched whole in the text
  // before SentencePiece sees it (the longest at each position), each
  // stretch of text between them encoded on its own, as llama.cpp does with
  // a GGUF vocabulary's control, user-defined and unknown tokens.
  SentencePieceTokenizer(const std::string& serialized_model, bool add_bos, bool add_eos, const std::string& source,
                         std::vector<std::pair<std::string, TokenId>> special_tokens = {});
  ~SentencePieceTokenizer() override;

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  // As LlamaTokenizer: [BOS] a [EOS] per text, per tokenizer_config.json;
  // the second text's part of a pair has type 1.
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override;
  TokenId bos_id() const override;
  TokenId eos_id() const override;
  std::string token_text(TokenId id) const override;

 private:
  void check_id(TokenId id) const;
  void encode_text(std::string_view text, std::vector<TokenId>& ids) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  bool add_bos_ = true;
  bool add_eos_ = false;
  std::vector<std::pair<std::string, TokenId>> special_tokens_;  // longest first
  std::array<bool, 256> special_first_byte_{};                   // whether a special token starts with it
};

}  // namespace attn
