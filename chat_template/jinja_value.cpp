#include "chat_template/jinja_value.h"

#include <cmath>

namespace attn::jinja {

Value Value::undefined(std::string hint) {
  Value v;
  v.text = std::move(hint);
  return v;
}

Value Value::none() {
  Value v;
  v.kind = Kind::None;
  return v;
}

Value Value::from_bool(bool value) {
  Value v;
  v.kind = Kind::Bool;
  v.boolean = value;
  v.integer = value;
  return v;
}

Value Value::from_int(int64_t value) {
  Value v;
  v.kind = Kind::Int;
  v.integer = value;
  return v;
}

Value Value::from_float(double value) {
  Value v;
  v.kind = Kind::Float;
  v.number = value;
  return v;
}

Value Value::string(std::string value) {
  Value v;
  v.kind = Kind::String;
  v.text = std::move(value);
  return v;
}

Value Value::make_list(List items) {
  Value v;
  v.kind = Kind::List;
  v.list = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::make_tuple(List items) {
  Value v = make_list(std::move(items));
  v.kind = Kind::Tuple;
  return v;
}

Value Value::make_dict(Dict items) {
  Value v;
  v.kind = Kind::Dict;
  v.dict = std::make_shared<Dict>(std::move(items));
  return v;
}

Value Value::make_namespace(Dict attributes) {
  Value v = make_dict(std::move(attributes));
  v.kind = Kind::Namespace;
  return v;
}

Value Value::function(std::string name, std::function<Value(CallArgs&)> call) {
  Value v;
  v.kind = Kind::Callable;
  v.callable = std::make_shared<Callable>(Callable{std::move(name), std::move(call)});
  return v;
}

bool Value::truthy() const {
  switch (kind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool: return boolean;
    case Kind::Int: return integer != 0;
    case Kind::Float: return number != 0;
    case Kind::String: return !text.empty();
    case Kind::List:
    case Kind::Tuple: return !list->empty();
    case Kind::Dict: return !dict->empty();
    case Kind::Namespace:
    case Kind::Callable: return true;
  }
  return false;
}

double Value::as_double() const {
  if (kind == Kind::Float) return number;
  return static_cast<double>(integer);
}

const Value* Value::find(const Value& key) const {
  for (const auto& [k, v] : *dict)
    if (equals(k, key)) return &v;
  return nullptr;
}

Value* Value::find(const Value& key) {
  for (auto& [k, v] : *dict)
    if (equals(k, key)) return &v;
  return nullptr;
}

const Value* Value::find(const std::string& key) const {
  for (const auto& [k, v] : *dict)
    if (k.kind == Kind::String && k.text == key) return &v;
  return nullptr;
}

bool equals(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.kind == K::Float || b.kind == K::Float) return a.as_double() == b.as_double();
    return a.integer == b.integer;
  }
  if (a.kind != b.kind) {
    // A list never equals a tuple in Python.
    return false;
  }
  switch (a.kind) {
    case K::Undefined:
    case K::None: return true;
    case K::String: return a.text == b.text;
    case K::List:
    case K::Tuple:
      if (a.list->size() != b.list->size()) return false;
      for (size_t i = 0; i < a.list->size(); ++i)
        if (!equals((*a.list)[i], (*b.list)[i])) return false;
      return true;
    case K::Dict:
      if (a.dict->size() != b.dict->size()) return false;
      for (const auto& [k, v] : *a.dict) {
        const Value* other = b.find(k);
        if (!other || !equals(v, *other)) return false;
      }
      return true;
    case K::Namespace: return a.dict == b.dict;
    case K::Callable: return a.callable == b.callable;
    default: return false;
  }
}

std::string python_type_name(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::Undefined: return "Undefined";
    case K::None: return "NoneType";
    case K::Bool: return "bool";
    case K::Int: return "int";
    case K::Float: return "float";
    case K::String: return "str";
    case K::List: return "list";
    case K::Tuple: return "tuple";
    case K::Dict: return "dict";
    case K::Namespace: return "Namespace";
    case K::Callable: return "function";
  }
  return "object";
}

std::string type_description(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::Undefined: return "jinja2.runtime.Undefined object";
    case K::None: return "None";
    case K::Bool: return "bool object";
    case K::Int: return "int object";
    case K::Float: return "float object";
    case K::String: return "str object";
    case K::List: return "list object";
    case K::Tuple: return "tuple object";
    case K::Dict: return "dict object";
    case K::Namespace: return "jinja2.utils.Namespace object";
    case K::Callable: return "function object";
  }
  return "object";
}

}  // namespace attn::jinja
