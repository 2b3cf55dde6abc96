// Values of the Jinja2 language as chat templates see them: Python's None,
// bool, int, float, str, list, tuple and dict, Jinja's Undefined, namespace()
// objects and callables (macros, globals, bound methods). Lists, dicts and
// namespaces are shared by reference, as in Python.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn::jinja {

struct Value;
using List = std::vector<Value>;
// Insertion-ordered, like Python's dict; chat-template dicts are small.
using Dict = std::vector<std::pair<Value, Value>>;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

struct Callable {
  std::string name;
  std::function<Value(CallArgs&)> call;
};

struct Value {
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Namespace, Callable };

  Kind kind = Kind::Undefined;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // String; for Undefined: the hint its error message gives
  std::shared_ptr<List> list;      // List, Tuple
  std::shared_ptr<Dict> dict;      // Dict, Namespace (its attributes)
  std::shared_ptr<Callable> callable;

  static Value undefined(std::string hint = {});
  static Value none();
  static Value from_bool(bool value);
  static Value from_int(int64_t value);
  static Value from_float(double value);
  static Value string(std::string value);
  static Value make_list(List items = {});
  static Value make_tuple(List items);
  static Value make_dict(Dict items = {});
  static Value make_namespace(Dict attributes = {});
  static Value function(std::string name, std::function<Value(CallArgs&)> call);

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  bool is_sequence() const { return kind == Kind::List || kind == Kind::Tuple; }
  bool is_mapping() const { return kind == Kind::Dict; }
  bool truthy() const;
  double as_double() const;

  // Dict lookup by key (Python equality); nullptr when absent.
  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  const Value* find(const std::string& key) const;
};

// Python's ==, and < for the types that order.
bool equals(const Value& a, const Value& b);

// Python's type name ("NoneType", "str", "list", ...).
std::string python_type_name(const Value& value);

// Python's type name as Jinja's error messages spell it ("dict object", "None").
std::string type_description(const Value& value);

}  // namespace attn::jinja
