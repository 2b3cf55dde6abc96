#include "chat_template/jinja_lexer.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "attn/error.h"
#include "chat_template/python_text.h"

namespace attn::jinja {
namespace {

[[noreturn]] void fail(int line, const std::string& message) {
  throw Error("chat template line " + std::to_string(line) + ": " + message);
}

// Length of the UTF-8 character that ends at `end` (exclusive).
size_t last_char_length(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return end - start;
}

char32_t char_at(std::string_view s, size_t pos, size_t* length) {
  std::u32string cps = to_code_points(s.substr(pos, std::min<size_t>(4, s.size() - pos)));
  size_t n = 1;
  unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c >= 0xF0) n = 4;
  else if (c >= 0xE0) n = 3;
  else if (c >= 0xC0) n = 2;
  *length = n;
  return cps.empty() ? 0 : cps[0];
}

// Python's str.rstrip(): drops trailing Unicode whitespace.
std::string_view rstrip(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t n = last_char_length(s, end);
    size_t dummy;
    if (!is_python_space(char_at(s, end - n, &dummy))) break;
    end -= n;
  }
  return s.substr(0, end);
}

size_t skip_space(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t n;
    if (!is_python_space(char_at(s, pos, &n))) break;
    pos += n;
  }
  return pos;
}

// Python's "unicode-escape" decoding of a string literal's body, which is
// what Jinja2 applies to it.
std::string unescape(std::string_view body, int line) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 == body.size()) {
      out.push_back(c);
      continue;
    }
    char e = body[++i];
    auto hex = [&](int digits) {
      if (i + digits >= body.size()) fail(line, "truncated \\x/\\u escape in a string");
      char32_t value = 0;
      for (int k = 1; k <= digits; ++k) {
        char h = body[i + k];
        int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
        if (d < 0) fail(line, "truncated \\x/\\u escape in a string");
        value = value * 16 + d;
      }
      i += digits;
      append_utf8(out, value);
    };
    switch (e) {
      case '\n': break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      default:
        if (e >= '0' && e <= '7') {
          char32_t value = e - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
            value = value * 8 + (body[++i] - '0');
          append_utf8(out, value);
        } else {
          out.push_back('\\');
          out.push_back(e);
        }
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view source, const LexerOptions& options) : options_(options) {
    // Jinja2 normalises newlines and drops one trailing newline
    // (keep_trailing_newline=False).
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        source_.push_back('\n');
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        source_.push_back(source[i]);
      }
    }
    if (!source_.empty() && source_.back() == '\n') source_.pop_back();
  }

  std::vector<Token> run() {
    bool line_starting = true;
    while (pos_ < source_.size()) {
      size_t tag = find_tag(pos_);
      std::string_view text(source_.data() + pos_, (tag == std::string::npos ? source_.size() : tag) - pos_);
      if (tag == std::string::npos) {
        emit_text(text);
        pos_ = source_.size();
        break;
      }
      char kind = source_[tag + 1];
      char sign = tag + 2 < source_.size() ? source_[tag + 2] : 0;
      if (sign == '-') {
        text = rstrip(text);
      } else if (sign != '+' && options_.lstrip_blocks && kind != '{') {
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string_view::npos ? 0 : l_pos + 1;
        if (l_pos > 0 || line_starting) {
          // Jinja2 checks `\s+` against the rest of the line: at least one
          // whitespace character, nothing else.
          if (l_pos < text.size() && skip_space(text, l_pos) == text.size()) text = text.substr(0, l_pos);
        }
      }
      emit_text(text);
      pos_ = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '#') {
        line_starting = lex_comment(tag);
      } else {
        line_starting = lex_tag(kind == '{' ? '}' : '%', tag);
      }
    }
    tokens_.push_back(Token{TokenType::End, "", line_at(source_.size())});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < source_.size(); ++i)
      if (source_[i] == '{' && (source_[i + 1] == '{' || source_[i + 1] == '%' || source_[i + 1] == '#'))
        return i;
    return std::string::npos;
  }

  int line_at(size_t offset) {
    while (line_offset_ < offset && line_offset_ < source_.size()) {
      if (source_[line_offset_] == '\n') ++line_;
      ++line_offset_;
    }
    return line_;
  }

  void emit_text(std::string_view text) {
    if (text.empty()) return;
    tokens_.push_back(Token{TokenType::Text, std::string(text), line_at(text.data() - source_.data())});
  }

  // After a tag's closing marker: "-" strips the whitespace that follows,
  // trim_blocks drops one newline after block tags and comments. Returns
  // whether the consumed text ended a line (lstrip_blocks needs it).
  bool after_close(size_t close_end, bool minus, bool plus, bool is_block) {
    size_t end = close_end;
    if (minus) end = skip_space(source_, end);
    else if (!plus && is_block && options_.trim_blocks && end < source_.size() && source_[end] == '\n') ++end;
    pos_ = end;
    return end > close_end && source_[end - 1] == '\n';
  }

  bool lex_comment(size_t tag) {
    int line = line_at(tag);
    size_t close = source_.find("#}", pos_);
    if (close == std::string::npos) fail(line, "unterminated comment ({# without #})");
    bool minus = close > pos_ && source_[close - 1] == '-';
    bool plus = close > pos_ && source_[close - 1] == '+';
    return after_close(close + 2, minus, plus, true);
  }

  bool lex_tag(char closer, size_t tag) {
    int line = line_at(tag);
    bool block = closer == '%';
    tokens_.push_back(Token{block ? TokenType::BlockBegin : TokenType::VariableBegin, "", line});
    int depth = 0;
    while (true) {
      while (pos_ < source_.size() && std::strchr(" \t\n\r\f\v", source_[pos_])) ++pos_;
      if (pos_ >= source_.size()) fail(line, block ? "unterminated {% tag" : "unterminated {{ expression");
      char c = source_[pos_];
      int here = line_at(pos_);
      if (depth == 0) {
        bool minus = c == '-' || c == '+';
        size_t at = pos_ + (minus ? 1 : 0);
        if (at + 1 < source_.size() && source_[at] == closer && source_[at + 1] == '}') {
          tokens_.push_back(Token{block ? TokenType::BlockEnd : TokenType::VariableEnd, "", here});
          return after_close(at + 2, c == '-', c == '+', block);
        }
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = pos_;
        while (pos_ < source_.size() && (std::isalnum(static_cast<unsigned char>(source_[pos_])) || source_[pos_] == '_')) ++pos_;
        tokens_.push_back(Token{TokenType::Name, source_.substr(start, pos_ - start), here});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        lex_number(here);
      } else if (c == '\'' || c == '"') {
        size_t start = ++pos_;
        while (pos_ < source_.size() && source_[pos_] != c) pos_ += source_[pos_] == '\\' ? 2 : 1;
        if (pos_ >= source_.size()) fail(here, "unterminated string");
        Token token{TokenType::String, unescape(std::string_view(source_).substr(start, pos_ - start), here), here};
        ++pos_;
        tokens_.push_back(std::move(token));
      } else {
        static const char* const two_char[] = {"//", "**", "==", "!=", "<=", ">="};
        std::string op(1, c);
        for (const char* candidate : two_char)
          if (source_.compare(pos_, 2, candidate) == 0) op = candidate;
        if (op.size() == 1 && !std::strchr("+-*/%~<>=.,:|()[]{}", c))
          fail(here, std::string("unexpected character '") + c + "'");
        if (op == "(" || op == "[" || op == "{") ++depth;
        if (op == ")" || op == "]" || op == "}") --depth;
        pos_ += op.size();
        tokens_.push_back(Token{TokenType::Operator, op, here});
      }
    }
  }

  void lex_number(int line) {
    size_t start = pos_;
    auto digits = [&] {
      while (pos_ < source_.size() && (std::isdigit(static_cast<unsigned char>(source_[pos_])) || source_[pos_] == '_')) ++pos_;
    };
    digits();
    bool is_float = false;
    if (pos_ + 1 < source_.size() && source_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(source_[pos_ + 1]))) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
      size_t save = pos_++;
      if (pos_ < source_.size() && (source_[pos_] == '+' || source_[pos_] == '-')) ++pos_;
      if (pos_ < source_.size() && std::isdigit(static_cast<unsigned char>(source_[pos_]))) {
        is_float = true;
        digits();
      } else {
        pos_ = save;
      }
    }
    std::string text;
    for (size_t i = start; i < pos_; ++i)
      if (source_[i] != '_') text.push_back(source_[i]);
    Token token{is_float ? TokenType::Float : TokenType::Integer, text, line};
    if (is_float) {
      token.number = std::strtod(text.c_str(), nullptr);  // as Python's float(): inf or 0.0 out of range
    } else {
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), token.integer);
      if (error != std::errc() || end != text.data() + text.size()) {
        fail(line, "integer literal " + text.substr(0, 40) + " does not fit in 64 bits");
      }
    }
    tokens_.push_back(std::move(token));
  }

  LexerOptions options_;
  std::string source_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_offset_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize_template(std::string_view source, const LexerOptions& options) {
  return Lexer(source, options).run();
}

}  // namespace attn::jinja
