// Jinja2's built-in filters, tests and globals, the Python str/dict/list
// methods templates call, and attribute and item lookup, with the rules of
// the ImmutableSandboxedEnvironment transformers renders in (methods that
// would modify a list or dict are refused).
#pragma once

#include <stdexcept>
#include <string>

#include "chat_template/jinja_value.h"

namespace attn::jinja {

// An error from inside a filter, test, method or operator; the evaluator
// adds the template line.
class EvalError : public std::runtime_error {
 public:
  explicit EvalError(const std::string& message) : std::runtime_error(message) {}
};

bool is_filter(const std::string& name);
bool is_test(const std::string& name);
Value apply_filter(const std::string& name, const Value& value, CallArgs& args);
bool apply_test(const std::string& name, const Value& value, CallArgs& args);

// obj.name: a method, a dict key or a namespace attribute (Undefined when
// absent); obj[key]: an item, falling back to an attribute for string keys.
Value get_attribute(const Value& object, const std::string& name);
Value get_item(const Value& object, const Value& key);

// Raises an Undefined's error (an EvalError with Jinja's message).
[[noreturn]] void fail_undefined(const Value& undefined);

// The items a for loop (or list()) visits: list items, dict keys, string
// characters; nothing for Undefined.
List iterate(const Value& value);
int64_t length_of(const Value& value);

// Python's operators on values: a + b, `item in container`, and ordering
// (-1, 0, 1) for <, <=, >, >=. EvalError for unsupported types.
Value add_values(const Value& a, const Value& b);
bool value_in(const Value& item, const Value& container);
int compare_for_operators(const Value& a, const Value& b);

// Python argument binding for builtins: positional then keyword, by name.
// Throws EvalError when a string of `bytes` or a list of `items` would pass
// jinja_limits.h's bounds (checked before building it).
void check_text_size(size_t bytes);
void check_item_count(size_t items);

class BoundArgs {
 public:
  BoundArgs(const std::string& function, CallArgs& args, std::initializer_list<const char*> names);
  bool has(size_t index) const { return values_[index] != nullptr; }
  Value get(size_t index, const Value& fallback) const { return values_[index] ? *values_[index] : fallback; }

 private:
  std::vector<const Value*> values_;
};

}  // namespace attn::jinja
