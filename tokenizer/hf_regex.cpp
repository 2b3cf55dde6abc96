#include "tokenizer/hf_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>

#include "attn/error.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

// Oniguruma (which Hugging Face tokenizers uses) and PCRE2 disagree on a few
// shorthand classes; these spell out Oniguruma's Unicode meaning.
//   \w: Alphabetic, marks, decimal digits, connector punctuation (PCRE2
//       10.42's \w is only letters, numbers and '_').
//   \s: White_Space (PCRE2's \s also takes U+180E).
//   \h: a hexadecimal digit (PCRE2's \h is horizontal space).
constexpr std::string_view kWord = R"(\p{Alphabetic}\p{M}\p{Nd}\p{Pc})";
constexpr std::string_view kSpace = R"(\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
constexpr std::string_view kHex = "0-9A-Fa-f";

std::string_view class_body(char escape) {
  switch (escape) {
    case 'w': case 'W': return kWord;
    case 's': case 'S': return kSpace;
    case 'h': case 'H': return kHex;
    default: return {};
  }
}

// Rewrites \w \W \s \S \h \H outside character classes and \w \s \h inside
// them (negated shorthands inside a class keep PCRE2's meaning), and
// Oniguruma's \uHHHH escapes to PCRE2's \x{HHHH}.
std::string oniguruma_to_pcre2(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 5 < pattern.size() && pattern[i + 1] == 'u' &&
        std::all_of(pattern.begin() + i + 2, pattern.begin() + i + 6, [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); })) {
      out += "\\x{" + std::string(pattern.substr(i + 2, 4)) + "}";
      i += 5;
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      const std::string_view body = class_body(next);
      const bool negated = next == 'W' || next == 'S' || next == 'H';
      if (body.empty() || (in_class && negated)) {
        out += c;
        out += next;
      } else if (in_class) {
        out += body;
      } else {
        out += negated ? "[^" : "[";
        out += body;
        out += ']';
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

// Per-thread match state: match data and a JIT stack large enough for long
// inputs (the default 32 KiB can overflow on a 10 000-character line).
struct MatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  MatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
};

MatchState& match_state() {
  thread_local MatchState state;
  return state;
}

}  // namespace

struct Regex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern) : code_(std::make_unique<Code>()) {
  const std::string translated = oniguruma_to_pcre2(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw Error("invalid regular expression \"" + std::string(pattern) + "\": " +
                reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
}

Regex::~Regex() = default;

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  MatchState& state = match_state();
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start <= text.size()) {
    const int rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, state.data,
                               state.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      throw Error(std::string("regular expression match failed: ") + reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
    const size_t match_start = ovector[0], match_end = ovector[1];
    matches.emplace_back(match_start, match_end);
    if (match_end > match_start) {
      start = match_end;
    } else if (match_end < text.size()) {
      // After an empty match, go on from the next character.
      start = match_end + utf8_sequence_length(static_cast<unsigned char>(text[match_end]));
    } else {
      break;
    }
  }
  return matches;
}

bool Regex::search(std::string_view text) const {
  MatchState& state = match_state();
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                             PCRE2_NO_UTF_CHECK, state.data, state.context);
  return rc >= 0;
}

}  // namespace attn::hf
