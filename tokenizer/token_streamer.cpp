// Incremental detokenisation as in Hugging Face text-generation-inference:
// decode the window ids_[prefix_offset_, read_offset_) and the window with the
// new ids, emit the difference once it no longer ends in U+FFFD (a character
// still missing byte-fallback tokens). Decoding a short window instead of the
// whole sequence keeps each push O(window); starting the window at a token
// that decodes to text makes tokenizer-specific spacing (SentencePiece drops
// the first piece's leading space) agree with a full decode.
#include "attn/tokenizer.h"

namespace attn {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

std::string decode_range(const Tokenizer& tokenizer, std::span<const TokenId> ids, size_t begin, size_t end) {
  return tokenizer.decode(ids.subspan(begin, end - begin));
}

// Start of the shortest tail of ids[0, end) that decodes to text beginning
// with a whole character, so the window carries the context for spacing.
size_t context_start(const Tokenizer& tokenizer, std::span<const TokenId> ids, size_t end) {
  size_t begin = end;
  while (begin > 0) {
    --begin;
    const std::string text = decode_range(tokenizer, ids, begin, end);
    if (!text.empty() && !text.starts_with(kReplacementCharacter)) break;
  }
  return begin;
}

}  // namespace

TokenStreamer::TokenStreamer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

// Anything still held back counts as emitted, like the new ids.
void TokenStreamer::prime(std::span<const TokenId> ids) {
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  read_offset_ = ids_.size();
  prefix_offset_ = context_start(tokenizer_, ids_, read_offset_);
  drop_before_window();
}

std::string TokenStreamer::push(TokenId id) {
  ids_.push_back(id);
  return take_text(/*hold_incomplete=*/true);
}

std::string TokenStreamer::flush() { return take_text(/*hold_incomplete=*/false); }

std::string TokenStreamer::take_text(bool hold_incomplete) {
  const std::string prefix_text = decode_range(tokenizer_, ids_, prefix_offset_, read_offset_);
  std::string text = decode_range(tokenizer_, ids_, prefix_offset_, ids_.size());
  if (text.size() <= prefix_text.size()) return {};
  if (hold_incomplete && text.ends_with(kReplacementCharacter)) return {};
  prefix_offset_ = read_offset_;
  read_offset_ = ids_.size();
  drop_before_window();
  return text.substr(prefix_text.size());
}

// Ids before the window are never decoded again; dropping them keeps memory
// and the cost of each push bounded by the window.
void TokenStreamer::drop_before_window() {
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_offset_));
  read_offset_ -= prefix_offset_;
  prefix_offset_ = 0;
}

}  // namespace attn
