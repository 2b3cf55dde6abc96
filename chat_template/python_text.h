// Python's text behaviour, which chat templates print through Jinja2:
// str() and repr() of values, json.dumps as transformers' tojson calls it,
// and the Unicode rules of str methods (code-point indexing, whitespace,
// case mapping).
#pragma once

#include <string>
#include <string_view>

#include "chat_template/jinja_value.h"

namespace attn::jinja {

std::string python_str(const Value& value);   // str(value); Undefined prints as ""
std::string python_repr(const Value& value);  // repr(value)
std::string python_float_repr(double value);

struct JsonOptions {
  bool ensure_ascii = false;  // transformers' default for its tojson
  int indent = -1;            // < 0: one line
  std::string indent_text;    // a string indent (json.dumps accepts both)
  bool sort_keys = false;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
};
// json.dumps(value, ...). Throws attn::Error naming the type for values JSON
// cannot hold (Undefined, callables).
std::string python_json_dumps(const Value& value, const JsonOptions& options);

std::u32string to_code_points(std::string_view utf8);
std::string to_utf8(std::u32string_view code_points);
void append_utf8(std::string& out, char32_t code_point);
size_t code_point_count(std::string_view utf8);

bool is_python_space(char32_t c);  // str.isspace()
char32_t python_lower(char32_t c);
char32_t python_upper(char32_t c);
std::string python_lower(std::string_view text);
std::string python_upper(std::string_view text);

}  // namespace attn::jinja
