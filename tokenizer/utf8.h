// UTF-8 checks shared by the tokenizers, the generator and the CLI (prompt
// validation, streaming output).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace attn {

// Offset of the first byte of the first ill-formed sequence (stray
// continuation byte, overlong form, surrogate, code point above U+10FFFF,
// sequence cut short), or nullopt when `text` is valid UTF-8.
std::optional<size_t> find_invalid_utf8(std::string_view text);

// Length of the longest prefix of `text` that does not end inside a
// truncated (but so far well-formed) multi-byte sequence: the bytes that are
// safe to emit now, the rest may be completed by more input.
size_t complete_utf8_prefix(std::string_view text);

}  // namespace attn
