#include "tokenizer/hf_tokenizer.h"

#include <algorithm>

#include "attn/error.h"
#include "tokenizer/utf8.h"

namespace attn::hf {
namespace {

// Hugging Face ignores the "id" the file gives an added token: the token
// gets the model's id for the same text, or else the next id after the
// model's vocabulary and the added tokens so far. (Files it wrote itself
// agree; hand-edited ones may not.) Repeated and empty tokens are skipped.
std::vector<AddedToken> assign_added_token_ids(const Json& tokenizer, const Vocab& vocab) {
  std::vector<AddedToken> added;
  if (!has(tokenizer, "added_tokens")) return added;
  const TokenId model_size = vocab.count();
  TokenId max_id = -1;
  for (const Json& entry : tokenizer.at("added_tokens")) {
    AddedToken token = read_added_token(entry);
    const auto same = [&](const AddedToken& other) { return other.content == token.content; };
    if (token.content.empty() || std::any_of(added.begin(), added.end(), same)) continue;
    token.id = vocab.find(token.content);
    if (token.id < 0) token.id = max_id < 0 ? model_size : max_id >= model_size || model_size == 0 ? max_id + 1 : model_size;
    max_id = std::max(max_id, token.id);
    added.push_back(std::move(token));
  }
  return added;
}

}  // namespace

HfTokenizer::HfTokenizer(const Json& tokenizer, const TokenizerConfig& config)
    : normalizer_(make_normalizer(tokenizer.value("normalizer", Json()))),
      pre_tokenizer_(make_pre_tokenizer(tokenizer.value("pre_tokenizer", Json()))),
      model_(make_model(require(tokenizer, "model", "tokenizer"))),
      post_processor_(make_post_processor(tokenizer.value("post_processor", Json()))),
      decoder_(make_decoder(tokenizer.value("decoder", Json()))),
      clean_up_tokenization_spaces_(config.clean_up_tokenization_spaces) {
  const Vocab& vocab = model_->vocab();
  std::vector<AddedToken> added = assign_added_token_ids(tokenizer, vocab);
  size_t size = static_cast<size_t>(vocab.size());
  for (const AddedToken& token : added) size = std::max(size, static_cast<size_t>(token.id) + 1);
  tokens_.resize(size);
  special_.resize(size);
  for (TokenId id = 0; id < vocab.size(); ++id) tokens_[id] = vocab.token(id);
  for (const AddedToken& token : added) {
    tokens_[token.id] = token.content;
    special_[token.id] = token.special;
  }
  added_ = std::make_unique<AddedVocabulary>(std::move(added), normalizer_.get());
  // Every id encode() can return must name a token.
  for (const TokenId id : post_processor_ ? post_processor_->inserted_ids() : std::vector<TokenId>{}) {
    if (id < 0 || static_cast<size_t>(id) >= size) {
      throw Error("post_processor: special token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                  std::to_string(size - 1) + ")");
    }
  }
  bos_id_ = find_token(config.bos_token);
  eos_id_ = find_token(config.eos_token);
}

TokenId HfTokenizer::find_token(const std::optional<std::string>& content) const {
  if (!content) return -1;
  for (const AddedToken& token : added_->tokens()) {
    if (token.content == *content) return token.id;
  }
  return model_->vocab().find(*content);
}

std::vector<TokenId> HfTokenizer::encode(std::string_view text, bool add_special) const {
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("the text to encode is not valid UTF-8 (bad byte at offset " + std::to_string(*offset) + ")");
  }
  std::vector<TokenId> ids;
  std::vector<PreToken> words;
  for (Segment& segment : added_->split(text, normalizer_.get())) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    words.assign(1, PreToken{std::move(segment.text), segment.at_text_start});
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(words);
    for (const PreToken& word : words) model_->tokenize(word.text, ids);
  }
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

Encoding HfTokenizer::add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const {
  const size_t first_length = first.size();
  Encoding encoding{std::move(first), std::vector<int32_t>(first_length, 0)};
  if (second) {
    encoding.ids.insert(encoding.ids.end(), second->begin(), second->end());
    encoding.type_ids.resize(encoding.ids.size(), 1);
  }
  if (post_processor_) post_processor_->process(encoding, first_length, second != nullptr);
  return encoding;
}

std::string HfTokenizer::decode(std::span<const TokenId> ids) const {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (const TokenId id : ids) {
    check_id(id);
    if (!special_[id] && !tokens_[id].empty()) pieces.push_back(tokens_[id]);
  }
  std::string text;
  if (decoder_) {
    decoder_->decode_chain(pieces);
    for (const std::string& piece : pieces) text += piece;
  } else {
    for (size_t i = 0; i < pieces.size(); ++i) text += (i ? " " : "") + pieces[i];
  }
  return clean_up_tokenization_spaces_ ? clean_up_tokenization(std::move(text)) : text;
}

std::string HfTokenizer::token_text(TokenId id) const {
  check_id(id);
  return tokens_[id];
}

void HfTokenizer::check_id(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                std::to_string(vocab_size() - 1) + ")");
  }
}

}  // namespace attn::hf
