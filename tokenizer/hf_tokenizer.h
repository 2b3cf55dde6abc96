// Hugging Face tokenizers: a tokenizer.json pipeline (normalizer ->
// pre-tokenizer -> model -> post-processor, decoder for the way back, added
// tokens matched first), or the older vocab.json + merges.txt (GPT-2) and
// vocab.txt (BERT) layouts, with tokenizer_config.json. Token ids match
// Hugging Face tokenizers exactly.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_added_tokens.h"
#include "tokenizer/hf_decoders.h"
#include "tokenizer/hf_json.h"
#include "tokenizer/hf_model.h"
#include "tokenizer/hf_normalizers.h"
#include "tokenizer/hf_post_processors.h"
#include "tokenizer/hf_pre_tokenizers.h"
#include "tokenizer/hf_tokenizer_config.h"

namespace attn {

// `directory_or_file`: a directory holding tokenizer.json, or vocab.json and
// merges.txt, or vocab.txt (tried in that order); or one of those files.
// tokenizer_config.json is read from the same directory. Throws attn::Error
// naming the file on anything missing or malformed.
std::shared_ptr<const Tokenizer> load_hf_tokenizer(const std::filesystem::path& directory_or_file);

namespace hf {

class HfTokenizer final : public Tokenizer {
 public:
  // `tokenizer` is a parsed tokenizer.json document. Its truncation and
  // padding settings are ignored, as transformers does unless asked.
  HfTokenizer(const Json& tokenizer, const TokenizerConfig& config);

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override { return static_cast<int>(tokens_.size()); }
  TokenId bos_id() const override { return bos_id_; }
  TokenId eos_id() const override { return eos_id_; }
  std::string token_text(TokenId id) const override;

 private:
  void check_id(TokenId id) const;
  TokenId find_token(const std::optional<std::string>& content) const;

  std::unique_ptr<const Normalizer> normalizer_;
  std::unique_ptr<const PreTokenizer> pre_tokenizer_;
  std::unique_ptr<const Model> model_;
  std::unique_ptr<const PostProcessor> post_processor_;
  std::unique_ptr<const Decoder> decoder_;
  std::unique_ptr<const AddedVocabulary> added_;
  std::vector<std::string> tokens_;  // by id: added tokens over the model's
  std::vector<bool> special_;        // by id: skipped when decoding
  TokenId bos_id_ = -1, eos_id_ = -1;
  bool clean_up_tokenization_spaces_ = false;
};

}  // namespace hf
}  // namespace attn
