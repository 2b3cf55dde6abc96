#include "tokenizer/t5_tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "attn/error.h"
#include "json/checked.h"
#include "tokenizer/sentencepiece_load.h"
#include "tokenizer/utf8.h"

namespace attn {
namespace {

constexpr std::string_view kSentinelPrefix = "<extra_id_";

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the tokenizer file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

T5Tokenizer::T5Tokenizer(const std::filesystem::path& model_path)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (!load_sentencepiece(*processor_, read_bytes(model_path)).empty()) {
    throw Error(model_path.string() + ": not a SentencePiece model");
  }
  pieces_ = processor_->GetPieceSize();
  if (processor_->eos_id() < 0) throw Error(model_path.string() + ": the SentencePiece model has no </s>");
  const auto config_path = model_path.parent_path() / "tokenizer_config.json";
  if (!std::filesystem::exists(config_path)) return;
  const nlohmann::json config = read_json_file(config_path);
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  if (config.contains("extra_ids") && !config["extra_ids"].is_null()) {
    extra_ids_ = json_int<int>(config["extra_ids"], config_path.string() + ": \"extra_ids\"");
    if (extra_ids_ < 0 || extra_ids_ > 100000) throw Error(config_path.string() + ": \"extra_ids\" must be in 0..100000");
  }
}

T5Tokenizer::~T5Tokenizer() = default;

int T5Tokenizer::vocab_size() const { return pieces_ + extra_ids_; }

TokenId T5Tokenizer::eos_id() const { return processor_->eos_id(); }

std::optional<std::pair<size_t, TokenId>> T5Tokenizer::sentinel_at(std::string_view text) const {
  if (!text.starts_with(kSentinelPrefix)) return std::nullopt;
  size_t end = kSentinelPrefix.size();
  int64_t n = 0;
  while (end < text.size() && end < kSentinelPrefix.size() + 7 && text[end] >= '0' && text[end] <= '9') {
    n = n * 10 + (text[end++] - '0');
  }
  if (end == kSentinelPrefix.size() || end >= text.size() || text[end] != '>' || n >= extra_ids_) return std::nullopt;
  if (text[kSentinelPrefix.size()] == '0' && end > kSentinelPrefix.size() + 1) return std::nullopt;  // "<extra_id_01>"
  return std::pair{end + 1, static_cast<TokenId>(vocab_size() - 1 - n)};
}

std::vector<TokenId> T5Tokenizer::encode(std::string_view text, bool add_special) const {
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(*offset) + " of the text to tokenize; the input must be UTF-8");
  }
  std::vector<TokenId> ids;
  const auto encode_piece = [&](std::string_view chunk) {
    std::vector<int> pieces;
    const auto status = processor_->Encode(chunk, &pieces);
    if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
    ids.insert(ids.end(), pieces.begin(), pieces.end());
  };
  size_t chunk_start = 0;
  for (size_t i = text.find('<'); i != std::string_view::npos; i = text.find('<', i + 1)) {
    if (const auto sentinel = sentinel_at(text.substr(i))) {
      encode_piece(text.substr(chunk_start, i - chunk_start));
      ids.push_back(sentinel->second);
      chunk_start = i + sentinel->first;
      i = chunk_start - 1;
    }
  }
  encode_piece(text.substr(chunk_start));
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

Encoding T5Tokenizer::add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const {
  // T5Tokenizer._add_eos_if_not_present: a text already ending in </s> keeps its one.
  const auto with_eos = [&](std::vector<TokenId>& ids) {
    if (ids.empty() || ids.back() != eos_id()) ids.push_back(eos_id());
  };
  Encoding encoding;
  with_eos(first);
  encoding.ids = std::move(first);
  if (second) {
    std::vector<TokenId> tail = *second;
    with_eos(tail);
    encoding.ids.insert(encoding.ids.end(), tail.begin(), tail.end());
  }
  encoding.type_ids.assign(encoding.ids.size(), 0);
  return encoding;
}

std::string T5Tokenizer::decode(std::span<const TokenId> ids) const {
  std::vector<int> kept;
  for (const TokenId id : ids) {
    check_id(id);
    const bool special = id >= pieces_ || id == processor_->eos_id() || id == processor_->pad_id() ||
                         id == processor_->unk_id();
    if (!special) kept.push_back(id);
  }
  std::string text;
  const auto status = processor_->Decode(kept, &text);
  if (!status.ok()) throw Error(std::string("SentencePiece could not decode the ids: ") + status.message());
  const size_t first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

std::string T5Tokenizer::token_text(TokenId id) const {
  check_id(id);
  if (id >= pieces_) return std::string(kSentinelPrefix) + std::to_string(vocab_size() - 1 - id) + ">";
  return processor_->IdToPiece(id);
}

void T5Tokenizer::check_id(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                std::to_string(vocab_size() - 1) + ")");
  }
}

}  // namespace attn
