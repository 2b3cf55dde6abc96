// Splits template source into text and the tokens inside {{ }}, {% %} tags,
// applying Jinja2's whitespace control as transformers configures it
// (trim_blocks, lstrip_blocks, the "-" and "+" markers, and dropping one
// trailing newline of the source).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn::jinja {

enum class TokenType { Text, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End };

struct Token {
  TokenType type;
  std::string text;  // Text, Name, String (unescaped), Operator
  int line = 0;
  int64_t integer = 0;
  double number = 0;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Throws attn::Error naming the line for unterminated tags and strings.
std::vector<Token> tokenize_template(std::string_view source, const LexerOptions& options = {});

}  // namespace attn::jinja
