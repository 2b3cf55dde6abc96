#include "tokenizer/utf8.h"

#include <cstdint>

namespace attn {
namespace {

enum class SequenceStatus { Complete, Truncated, Invalid };

struct Sequence {
  SequenceStatus status;
  size_t length;  // bytes of a complete sequence
};

// Well-formed byte sequences per Unicode Table 3-7: the lead byte fixes the
// length and the range of the second byte, which rules out overlong forms,
// surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
Sequence read_sequence(std::string_view text, size_t pos) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  size_t length = 0;
  uint8_t second_min = 0x80, second_max = 0xBF;
  if (lead < 0x80) return {SequenceStatus::Complete, 1};
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return {SequenceStatus::Invalid, 1};
  }
  for (size_t i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return {SequenceStatus::Truncated, 0};
    const auto byte = static_cast<uint8_t>(text[pos + i]);
    const uint8_t min = i == 1 ? second_min : 0x80;
    const uint8_t max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) return {SequenceStatus::Invalid, 1};
  }
  return {SequenceStatus::Complete, length};
}

bool is_continuation_byte(char byte) { return (static_cast<uint8_t>(byte) & 0xC0) == 0x80; }

}  // namespace

std::optional<size_t> find_invalid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const Sequence sequence = read_sequence(text, pos);
    if (sequence.status != SequenceStatus::Complete) return pos;
    pos += sequence.length;
  }
  return std::nullopt;
}

size_t complete_utf8_prefix(std::string_view text) {
  // A truncated sequence is at most 3 bytes: a lead byte and up to two
  // continuation bytes.
  const size_t stop = text.size() > 3 ? text.size() - 3 : 0;
  for (size_t pos = text.size(); pos > stop;) {
    --pos;
    if (is_continuation_byte(text[pos])) continue;
    const bool truncated = read_sequence(text, pos).status == SequenceStatus::Truncated;
    return truncated ? pos : text.size();
  }
  return text.size();
}

}  // namespace attn
