#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attn/error.h"
#include "json/checked.h"
#include "tokenizer/sentencepiece_load.h"
#include "tokenizer/utf8.h"

namespace attn {
namespace {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the tokenizer file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A boolean key of tokenizer_config.json; absent or null means the default.
bool config_flag(const nlohmann::json& config, const char* key, bool default_value,
                 const std::filesystem::path& path) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return default_value;
  if (!it->is_boolean()) throw Error(path.string() + ": \"" + key + "\" must be true or false");
  return it->get<bool>();
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_path)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (!load_sentencepiece(*processor_, read_bytes(model_path)).empty()) {
    // SentencePiece's own message names its source lines, which helps nobody here.
    throw Error(model_path.string() + ": not a SentencePiece tokenizer model (llama2.c's tokenizer.bin is a "
                "different format); pass a tokenizer.model file or a model directory that holds one");
  }
  const auto config_path = model_path.parent_path() / "tokenizer_config.json";
  if (!std::filesystem::exists(config_path)) return;
  const nlohmann::json config = parse_json(read_bytes(config_path), config_path.string());
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  // Defaults as in Hugging Face's LlamaTokenizer.
  add_bos_ = config_flag(config, "add_bos_token", true, config_path);
  add_eos_ = config_flag(config, "add_eos_token", false, config_path);
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& serialized_model, bool add_bos, bool add_eos,
                                               const std::string& source,
                                               std::vector<std::pair<std::string, TokenId>> special_tokens)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()),
      add_bos_(add_bos),
      add_eos_(add_eos),
      special_tokens_(std::move(special_tokens)) {
  const std::string problem = load_sentencepiece(*processor_, serialized_model);
  if (!problem.empty()) throw Error(source + ": the SentencePiece vocabulary is invalid (" + problem + ")");
  std::erase_if(special_tokens_, [](const auto& token) { return token.first.empty(); });
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& token : special_tokens_) special_first_byte_[static_cast<unsigned char>(token.first[0])] = true;
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<TokenId> SentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  // SentencePiece would silently map invalid bytes to U+FFFD; refuse instead.
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(*offset) +
                " of the text to tokenize; the input must be UTF-8");
  }
  std::vector<TokenId> ids;
  size_t start = 0;  // of the text not yet encoded
  for (size_t at = 0; at < text.size() && !special_tokens_.empty();) {
    if (!special_first_byte_[static_cast<unsigned char>(text[at])]) {
      ++at;
      continue;
    }
    const auto match = std::find_if(special_tokens_.begin(), special_tokens_.end(),
                                    [&](const auto& token) { return text.substr(at).starts_with(token.first); });
    if (match == special_tokens_.end()) {
      ++at;
      continue;
    }
    // llama.cpp encodes each stretch between special tokens as a text of its own (with its space prefix).
    encode_text(text.substr(start, at - start), ids);
    ids.push_back(match->second);
    at += match->first.size();
    start = at;
  }
  encode_text(text.substr(start), ids);
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

void SentencePieceTokenizer::encode_text(std::string_view text, std::vector<TokenId>& ids) const {
  if (text.empty()) return;
  std::vector<int> pieces;
  const auto status = processor_->Encode(text, &pieces);
  if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
  ids.insert(ids.end(), pieces.begin(), pieces.end());
}

Encoding SentencePieceTokenizer::add_special_tokens(std::vector<TokenId> first,
                                                    const std::vector<TokenId>* second) const {
  Encoding encoding;
  const auto append = [&](const std::vector<TokenId>& ids, int32_t type) {
    if (add_bos_ && bos_id() >= 0) encoding.ids.push_back(bos_id());
    encoding.ids.insert(encoding.ids.end(), ids.begin(), ids.end());
    if (add_eos_ && eos_id() >= 0) encoding.ids.push_back(eos_id());
    encoding.type_ids.resize(encoding.ids.size(), type);
  };
  append(first, 0);
  if (second) append(*second, 1);
  return encoding;
}

// SentencePiece itself skips control tokens, joins byte-fallback pieces into
// UTF-8 (each byte of an ill-formed or truncated sequence becomes U+FFFD) and
// drops the leading space of the first piece, as llama2.c does after BOS.
std::string SentencePieceTokenizer::decode(std::span<const TokenId> ids) const {
  for (const TokenId id : ids) check_id(id);
  std::string text;
  const auto status = processor_->Decode(std::vector<int>(ids.begin(), ids.end()), &text);
  if (!status.ok()) throw Error(std::string("SentencePiece could not decode the ids: ") + status.message());
  return text;
}

int SentencePieceTokenizer::vocab_size() const { return processor_->GetPieceSize(); }

TokenId SentencePieceTokenizer::bos_id() const { return processor_->bos_id(); }

TokenId SentencePieceTokenizer::eos_id() const { return processor_->eos_id(); }

std::string SentencePieceTokenizer::token_text(TokenId id) const {
  check_id(id);
  return processor_->IdToPiece(id);
}

void SentencePieceTokenizer::check_id(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                std::to_string(vocab_size() - 1) + ")");
  }
}

}  // namespace attn
