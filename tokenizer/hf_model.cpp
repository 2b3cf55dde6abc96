#include "tokenizer/hf_model.h"

#include "attn/error.h"
#include "tokenizer/hf_models_bpe.h"
#include "tokenizer/hf_models_unigram.h"
#include "tokenizer/hf_models_wordpiece.h"

namespace attn::hf {
namespace {

// Files written by early versions of Hugging Face tokenizers omit the
// model's "type"; it reads them by trying each model's fields in turn.
std::string infer_model_type(const Json& config) {
  if (has(config, "merges")) return "BPE";
  if (has(config, "vocab") && config.at("vocab").is_array()) return "Unigram";
  if (has(config, "continuing_subword_prefix") || has(config, "max_input_chars_per_word")) return "WordPiece";
  throw Error("model has no \"type\" and its fields match no known model (BPE, WordPiece, Unigram)");
}

}  // namespace

Vocab read_vocab_object(const Json& config, std::string_view model_name) {
  const Json& json = require(config, "vocab", std::string(model_name) + " model");
  if (!json.is_object()) throw Error(std::string(model_name) + " model vocab must be an object of token: id");
  Vocab vocab;
  for (const auto& [token, id] : json.items()) vocab.add(token, json_int<TokenId>(id, "vocab id of \"" + token + "\""));
  return vocab;
}

std::unique_ptr<const Model> make_model(const Json& config) {
  if (!config.is_object()) throw Error("model must be a JSON object");
  const std::string type = has(config, "type") ? component_type(config, "model") : infer_model_type(config);
  if (type == "BPE") return std::make_unique<BpeModel>(config);
  if (type == "WordPiece") return std::make_unique<WordPieceModel>(config);
  if (type == "Unigram") return std::make_unique<UnigramModel>(config);
  throw_unknown_component("model", type);
}

}  // namespace attn::hf
