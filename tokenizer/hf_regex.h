// Unicode regular expressions as tokenizer.json writes them (Oniguruma
// syntax, e.g. `\p{L}+|\s+(?!\S)`), run by PCRE2 with its JIT.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attn::hf {

// What Rust's regex crate calls a word character (\w), which Hugging Face
// uses outside tokenizer.json patterns (the Whitespace pre-tokenizer,
// single_word added tokens): Alphabetic, marks, decimal digits, connector
// punctuation and the two joiners. For use inside [...].
inline constexpr std::string_view kRustWordChars = R"(\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D})";

class Regex {
 public:
  // Throws attn::Error when the pattern does not compile.
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // The non-overlapping matches in `text` (valid UTF-8), left to right, as
  // byte ranges [start, end).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  // Whether the pattern matches somewhere in `text`.
  bool search(std::string_view text) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

}  // namespace attn::hf
