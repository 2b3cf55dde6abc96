// The Python methods templates call on strings, dicts and lists
// (message.content.split('</think>'), tool.get('function'), ...), and the
// str operations Jinja's filters share with them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chat_template/jinja_value.h"

namespace attn::jinja {

// object.name as a callable bound to object; nullopt when the type has no
// such method. Methods that would modify a list or dict give an Undefined
// that fails, as the immutable sandbox does.
std::optional<Value> bound_method(const Value& object, const std::string& name);

// str.strip(chars) (nullptr: whitespace), str.split() without a separator,
// str.splitlines(), str.capitalize(), str.title(), str.islower/isupper().
std::string python_strip(std::string_view text, const std::string* chars, bool left = true, bool right = true);
List python_split_whitespace(std::string_view text, int64_t max_split = -1);
List python_splitlines(std::string_view text, bool keep_ends = false);
std::string python_capitalize(std::string_view text);
std::string python_title(std::string_view text);
bool python_is_lower(std::string_view text);
bool python_is_upper(std::string_view text);

}  // namespace attn::jinja
