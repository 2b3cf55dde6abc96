// Unicode helpers for tokenizer.json pipelines, matching the character
// classes Hugging Face tokenizers (Rust) uses. Text is valid UTF-8 here:
// the tokenizer checks its input once, up front.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace attn::hf {

// Number of bytes of the UTF-8 sequence starting with `lead`.
inline size_t utf8_sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

inline bool is_ascii(std::string_view text) {
  for (const char byte : text) {
    if (static_cast<unsigned char>(byte) >= 0x80) return false;
  }
  return true;
}

// Decodes the code point at text[pos] and moves pos past it.
char32_t next_code_point(std::string_view text, size_t& pos);
void append_utf8(std::string& out, char32_t code_point);
// The one character `text` holds; throws attn::Error naming `what` when it
// holds none or several.
char32_t single_code_point(std::string_view text, std::string_view what);

// Rust's char::is_whitespace: the Unicode White_Space property.
bool is_whitespace(char32_t c);
// ASCII punctuation (which includes symbols such as $ + < = > ^ ` |) or a
// Unicode punctuation category (P*): BERT's and the Punctuation
// pre-tokenizer's notion of punctuation.
bool is_punctuation(char32_t c);
// General categories Cc, Cf and Co (BERT's "control" characters).
bool is_other_category(char32_t c);
bool is_mark(char32_t c);             // M*
bool is_nonspacing_mark(char32_t c);  // Mn
bool is_numeric(char32_t c);          // N* (Rust's char::is_numeric)

// Rust's char::to_lowercase: the full lowercase mapping, character by
// character (so no context-dependent final sigma, unlike JavaScript).
void append_lowercase(std::string& out, char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::string unicode_normalize(std::string_view text, NormalForm form);

// Decodes bytes that may not be valid UTF-8 as Rust's
// String::from_utf8_lossy does: each maximal ill-formed subpart becomes one
// U+FFFD.
std::string utf8_lossy(std::string_view bytes);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace attn::hf
