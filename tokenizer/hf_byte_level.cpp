#include "tokenizer/hf_byte_level.h"

#include <array>

#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

struct Alphabet {
  std::array<std::string, 256> chars;
  std::array<int16_t, 512> bytes;  // by code point; every character is below U+0200

  Alphabet() {
    bytes.fill(-1);
    int next_extra = 0;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
      const char32_t c = printable ? static_cast<char32_t>(byte) : static_cast<char32_t>(256 + next_extra++);
      append_utf8(chars[byte], c);
      bytes[c] = static_cast<int16_t>(byte);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

std::string_view byte_to_char(uint8_t byte) { return alphabet().chars[byte]; }

int char_to_byte(char32_t c) { return c < 512 ? alphabet().bytes[c] : -1; }

void append_byte_level(std::string& out, std::string_view bytes) {
  const Alphabet& table = alphabet();
  for (const char byte : bytes) out += table.chars[static_cast<uint8_t>(byte)];
}

}  // namespace attn::hf
