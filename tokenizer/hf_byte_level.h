// GPT-2's byte-level alphabet: every byte is shown as a printable character
// (bytes that are printable Latin-1 stand for themselves; the others map to
// U+0100 and up), so that any byte string becomes text a BPE vocabulary can
// hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace attn::hf {

// The UTF-8 of the character standing for `byte`.
std::string_view byte_to_char(uint8_t byte);

// The byte a character stands for, or -1 when it is not in the alphabet.
int char_to_byte(char32_t c);

// Each byte of `bytes` replaced by its character.
void append_byte_level(std::string& out, std::string_view bytes);

}  // namespace attn::hf
