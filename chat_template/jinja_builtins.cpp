#include "chat_template/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "attn/error.h"
#include "chat_template/jinja_limits.h"
#include "chat_template/jinja_methods.h"
#include "chat_template/python_text.h"

namespace attn::jinja {

BoundArgs::BoundArgs(const std::string& function, CallArgs& args, std::initializer_list<const char*> names)
    : values_(names.size(), nullptr) {
  if (args.positional.size() > names.size())
    throw EvalError(function + "() takes at most " + std::to_string(names.size()) + " arguments (" +
                    std::to_string(args.positional.size()) + " given)");
  for (size_t i = 0; i < args.positional.size(); ++i) values_[i] = &args.positional[i];
  for (auto& [key, value] : args.keywords) {
    size_t index = 0;
    for (const char* name : names) {
      if (key == name) break;
      ++index;
    }
    if (index == names.size()) throw EvalError(function + "() got an unexpected keyword argument '" + key + "'");
    values_[index] = &value;
  }
}

[[noreturn]] void fail_undefined(const Value& undefined) {
  throw EvalError(undefined.text.empty() ? "'undefined' is undefined" : undefined.text);
}

namespace {

Value missing_attribute(const Value& object, const Value& name) {
  std::string type = type_description(object);
  if (name.is_string()) return Value::undefined("'" + type + "' has no attribute " + python_repr(name));
  return Value::undefined("'" + type + "' has no element " + python_repr(name));
}

// Python's index rules: negative counts from the end.
bool normalise_index(int64_t& index, size_t size) {
  if (index < 0) index += static_cast<int64_t>(size);
  return index >= 0 && index < static_cast<int64_t>(size);
}

}  // namespace

Value get_attribute(const Value& object, const std::string& name) {
  if (object.is_undefined()) fail_undefined(object);
  if (auto method = bound_method(object, name)) return *method;
  if (object.kind == Value::Kind::Dict || object.kind == Value::Kind::Namespace) {
    if (const Value* found = object.find(name)) return *found;
  }
  return missing_attribute(object, Value::string(name));
}

Value get_item(const Value& object, const Value& key) {
  using K = Value::Kind;
  if (object.is_undefined()) fail_undefined(object);
  switch (object.kind) {
    case K::Dict:
      if (const Value* found = object.find(key)) return *found;
      break;
    case K::List:
    case K::Tuple:
      if (key.kind == K::Int || key.kind == K::Bool) {
        int64_t index = key.integer;
        if (normalise_index(index, object.list->size())) return (*object.list)[index];
      }
      break;
    case K::String:
      if (key.kind == K::Int || key.kind == K::Bool) {
        std::u32string cps = to_code_points(object.text);
        int64_t index = key.integer;
        if (normalise_index(index, cps.size())) return Value::string(to_utf8(cps.substr(index, 1)));
      }
      break;
    default: break;
  }
  if (key.is_string()) {
    if (auto method = bound_method(object, key.text)) return *method;
    if (object.kind == K::Namespace)
      if (const Value* found = object.find(key)) return *found;
  }
  return missing_attribute(object, key);
}

List iterate(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::Undefined: return {};
    case K::List:
    case K::Tuple: return *value.list;
    case K::Dict: {
      List keys;
      for (const auto& [k, v] : *value.dict) keys.push_back(k);
      return keys;
    }
    case K::String: {
      List chars;
      for (char32_t c : to_code_points(value.text)) chars.push_back(Value::string(to_utf8(std::u32string(1, c))));
      return chars;
    }
    default: throw EvalError("'" + python_type_name(value) + "' object is not iterable");
  }
}

int64_t length_of(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::Undefined: return 0;
    case K::String: return static_cast<int64_t>(code_point_count(value.text));
    case K::List:
    case K::Tuple: return static_cast<int64_t>(value.list->size());
    case K::Dict: return static_cast<int64_t>(value.dict->size());
    default: throw EvalError("object of type '" + type_description(value) + "' has no len()");
  }
}

namespace {

const Value kNone = Value::none();
const Value kFalse = Value::from_bool(false);
const Value kEmpty = Value::string("");

std::string text_of(const Value& value) { return python_str(value); }

int compare_values(const Value& a, const Value& b);

// Python's ordering for the comparable types; EvalError otherwise.
int compare_values(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Value::Kind::Float || b.kind == Value::Kind::Float) {
      double x = a.as_double(), y = b.as_double();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  if (a.is_sequence() && b.kind == a.kind) {
    size_t n = std::min(a.list->size(), b.list->size());
    for (size_t i = 0; i < n; ++i) {
      if (equals((*a.list)[i], (*b.list)[i])) continue;
      return compare_values((*a.list)[i], (*b.list)[i]);
    }
    return a.list->size() < b.list->size() ? -1 : a.list->size() > b.list->size() ? 1 : 0;
  }
  throw EvalError("'<' not supported between instances of '" + type_description(a) + "' and '" +
                  type_description(b) + "'");
}

Value attribute_path(const Value& item, const Value& attribute) {
  // "a.b" and integer parts, as Jinja's make_attrgetter reads them.
  if (attribute.kind == Value::Kind::Int) return get_item(item, attribute);
  std::string path = text_of(attribute);
  Value current = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit((unsigned char)c); });
    current = numeric ? get_item(current, Value::from_int(std::stoll(part))) : get_item(current, Value::string(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

Value filter_default(const Value& value, CallArgs& args) {
  BoundArgs a("default", args, {"default_value", "boolean"});
  bool boolean = a.get(1, kFalse).truthy();
  if (value.is_undefined() || (boolean && !value.truthy())) return a.get(0, kEmpty);
  return value;
}

Value filter_join(const Value& value, CallArgs& args) {
  BoundArgs a("join", args, {"d", "attribute"});
  std::string separator = text_of(a.get(0, kEmpty));
  std::string out;
  bool first = true;
  for (const Value& item : iterate(value)) {
    if (!first) out += separator;
    first = false;
    out += text_of(a.has(1) ? attribute_path(item, a.get(1, kNone)) : item);
  }
  return Value::string(out);
}

Value filter_tojson(const Value& value, CallArgs& args) {
  // transformers' override: json.dumps(x, ensure_ascii=False, indent=None,
  // separators=None, sort_keys=False).
  BoundArgs a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions options;
  options.ensure_ascii = a.get(0, kFalse).truthy();
  const Value& indent = a.get(1, kNone);
  if (indent.kind == Value::Kind::Int) options.indent = static_cast<int>(std::max<int64_t>(indent.integer, 0));
  else if (indent.is_string()) options.indent_text = indent.text;
  else if (!indent.is_none()) throw EvalError("tojson: indent must be an int or a string");
  if (!indent.is_none()) options.item_separator = ",";
  const Value& separators = a.get(2, kNone);
  if (!separators.is_none()) {
    if (!separators.is_sequence() || separators.list->size() != 2)
      throw EvalError("tojson: separators must be a pair of strings");
    options.item_separator = text_of((*separators.list)[0]);
    options.key_separator = text_of((*separators.list)[1]);
  }
  options.sort_keys = a.get(3, kFalse).truthy();
  try {
    return Value::string(python_json_dumps(value, options));
  } catch (const Error& e) {
    throw EvalError(e.what());
  }
}

Value filter_indent(const Value& value, CallArgs& args) {
  BoundArgs a("indent", args, {"width", "first", "blank"});
  const Value& width = a.get(0, Value::from_int(4));
  std::string indentation = width.is_string() ? width.text : std::string(std::max<int64_t>(width.integer, 0), ' ');
  List lines = python_splitlines(text_of(value) + "\n");
  std::string out;
  if (a.get(2, kFalse).truthy()) {
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" + indentation : "") + lines[i].text;
  } else {
    out = lines.empty() ? "" : lines[0].text;
    for (size_t i = 1; i < lines.size(); ++i)
      out += "\n" + (lines[i].text.empty() ? "" : indentation) + lines[i].text;
  }
  if (a.get(1, kFalse).truthy()) out = indentation + out;
  return Value::string(out);
}

Value filter_int(const Value& value, CallArgs& args) {
  BoundArgs a("int", args, {"default", "base"});
  Value fallback = a.get(0, Value::from_int(0));
  if (value.kind == Value::Kind::Int || value.kind == Value::Kind::Bool) return Value::from_int(value.integer);
  if (value.kind == Value::Kind::Float) return Value::from_int(static_cast<int64_t>(value.number));
  if (value.is_string()) {
    std::string s = python_strip(value.text, nullptr);
    std::string digits;
    for (char c : s)
      if (c != '_') digits.push_back(c);
    char* end = nullptr;
    int base = static_cast<int>(a.get(1, Value::from_int(10)).integer);
    long long parsed = std::strtoll(digits.c_str(), &end, base);
    if (!digits.empty() && end && *end == 0) return Value::from_int(parsed);
    double as_float = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == 0 && std::isfinite(as_float)) return Value::from_int(static_cast<int64_t>(as_float));
  }
  return fallback;
}

Value filter_float(const Value& value, CallArgs& args) {
  BoundArgs a("float", args, {"default"});
  if (value.is_number()) return Value::from_float(value.as_double());
  if (value.is_string()) {
    std::string s = python_strip(value.text, nullptr);
    char* end = nullptr;
    double parsed = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == 0) return Value::from_float(parsed);
  }
  return a.get(0, Value::from_float(0.0));
}

Value filter_first_last(const Value& value, bool first) {
  List items = iterate(value);
  if (items.empty())
    return Value::undefined(first ? "No first item, sequence was empty." : "No last item, sequence was empty.");
  return first ? items.front() : items.back();
}

Value filter_replace(const Value& value, CallArgs& args) {
  BoundArgs a("replace", args, {"old", "new", "count"});
  CallArgs method_args;
  method_args.positional = {Value::string(text_of(a.get(0, kEmpty))), Value::string(text_of(a.get(1, kEmpty)))};
  if (a.has(2)) method_args.positional.push_back(a.get(2, kNone));
  return (*bound_method(Value::string(text_of(value)), "replace")).callable->call(method_args);
}

// select/reject/selectattr/rejectattr: keep items whose test (or truth) is
// `keep`, looking at an attribute of each item when `attribute`.
Value filter_select(const Value& value, CallArgs& args, bool attribute, bool keep) {
  List out;
  size_t next = 0;
  Value attr;
  if (attribute) {
    if (args.positional.empty()) throw EvalError("selectattr/rejectattr need an attribute");
    attr = args.positional[next++];
  }
  std::string test;
  if (next < args.positional.size()) test = text_of(args.positional[next++]);
  if (!test.empty() && !is_test(test)) throw EvalError("No test named '" + test + "'.");
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + next, args.positional.end());
  test_args.keywords = args.keywords;
  for (const Value& item : iterate(value)) {
    Value subject = attribute ? attribute_path(item, attr) : item;
    CallArgs copy = test_args;
    bool passed = test.empty() ? subject.truthy() : apply_test(test, subject, copy);
    if (passed == keep) out.push_back(item);
  }
  return Value::make_list(std::move(out));
}

Value filter_map(const Value& value, CallArgs& args) {
  List out;
  for (auto& [key, v] : args.keywords) {
    if (key == "attribute") {
      const Value* fallback = nullptr;
      for (auto& [k2, v2] : args.keywords)
        if (k2 == "default") fallback = &v2;
      for (const Value& item : iterate(value)) {
        Value got = attribute_path(item, v);
        out.push_back(got.is_undefined() && fallback ? *fallback : got);
      }
      return Value::make_list(std::move(out));
    }
  }
  if (args.positional.empty()) throw EvalError("map() needs a filter name or attribute=");
  std::string filter = text_of(args.positional[0]);
  if (!is_filter(filter)) throw EvalError("No filter named '" + filter + "'.");
  for (const Value& item : iterate(value)) {
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keywords = args.keywords;
    out.push_back(apply_filter(filter, item, rest));
  }
  return Value::make_list(std::move(out));
}

Value sort_key(const Value& item, const Value& attribute, bool case_sensitive) {
  Value key = attribute.is_none() ? item : attribute_path(item, attribute);
  if (!case_sensitive && key.is_string()) return Value::string(python_lower(key.text));
  return key;
}

Value filter_sort(const Value& value, CallArgs& args) {
  BoundArgs a("sort", args, {"reverse", "case_sensitive", "attribute"});
  bool reverse = a.get(0, kFalse).truthy();
  bool case_sensitive = a.get(1, kFalse).truthy();
  Value attribute = a.get(2, kNone);
  List items = iterate(value);
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    int c = compare_values(sort_key(x, attribute, case_sensitive), sort_key(y, attribute, case_sensitive));
    return reverse ? c > 0 : c < 0;
  });
  return Value::make_list(std::move(items));
}

Value filter_dictsort(const Value& value, CallArgs& args) {
  BoundArgs a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!value.is_mapping()) throw EvalError("You can only sort by either \"key\" or \"value\"");
  bool case_sensitive = a.get(0, kFalse).truthy();
  bool by_value = text_of(a.get(1, Value::string("key"))) == "value";
  bool reverse = a.get(2, kFalse).truthy();
  List items;
  for (const auto& [k, v] : *value.dict) items.push_back(Value::make_tuple({k, v}));
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value& kx = (*x.list)[by_value ? 1 : 0];
    const Value& ky = (*y.list)[by_value ? 1 : 0];
    int c = compare_values(sort_key(kx, kNone, case_sensitive), sort_key(ky, kNone, case_sensitive));
    return reverse ? c > 0 : c < 0;
  });
  return Value::make_list(std::move(items));
}

Value filter_unique(const Value& value, CallArgs& args) {
  BoundArgs a("unique", args, {"case_sensitive", "attribute"});
  bool case_sensitive = a.get(0, kFalse).truthy();
  Value attribute = a.get(1, kNone);
  List out, seen;
  for (const Value& item : iterate(value)) {
    Value key = sort_key(item, attribute, case_sensitive);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::make_list(std::move(out));
}

Value filter_min_max(const Value& value, CallArgs& args, bool want_max) {
  BoundArgs a(want_max ? "max" : "min", args, {"case_sensitive", "attribute"});
  bool case_sensitive = a.get(0, kFalse).truthy();
  Value attribute = a.get(1, kNone);
  List items = iterate(value);
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  const Value* best = &items[0];
  for (const Value& item : items) {
    int c = compare_values(sort_key(item, attribute, case_sensitive), sort_key(*best, attribute, case_sensitive));
    if (want_max ? c > 0 : c < 0) best = &item;
  }
  return *best;
}

Value filter_sum(const Value& value, CallArgs& args) {
  BoundArgs a("sum", args, {"attribute", "start"});
  Value total = a.get(1, Value::from_int(0));
  for (const Value& item : iterate(value))
    total = add_values(total, a.has(0) ? attribute_path(item, a.get(0, kNone)) : item);
  return total;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Value no_arguments(const char* name, CallArgs& args, Value result) {
  BoundArgs(name, args, {});
  return result;
}

}  // namespace

void check_text_size(size_t bytes) {
  if (bytes > kMaxTextBytes) {
    throw EvalError("the template builds a string of more than " + std::to_string(kMaxTextBytes >> 20) + " MiB");
  }
}

void check_item_count(size_t items) {
  if (items > kMaxItems) throw EvalError("the template builds a list of more than " + std::to_string(kMaxItems) + " items");
}

Value add_values(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.kind == K::Float || b.kind == K::Float) return Value::from_float(a.as_double() + b.as_double());
    int64_t sum;
    if (__builtin_add_overflow(a.integer, b.integer, &sum)) throw EvalError("integer overflow in +");
    return Value::from_int(sum);
  }
  if (a.is_string() && b.is_string()) {
    check_text_size(a.text.size() + b.text.size());
    return Value::string(a.text + b.text);
  }
  if (a.is_sequence() && b.kind == a.kind) {
    check_item_count(a.list->size() + b.list->size());
    List items = *a.list;
    items.insert(items.end(), b.list->begin(), b.list->end());
    return a.kind == K::List ? Value::make_list(std::move(items)) : Value::make_tuple(std::move(items));
  }
  if (a.is_string() || a.is_sequence())
    throw EvalError("can only concatenate " + python_type_name(a) + " (not \"" + python_type_name(b) + "\") to " + python_type_name(a));
  throw EvalError("unsupported operand type(s) for +: '" + python_type_name(a) + "' and '" + python_type_name(b) + "'");
}

namespace {

using FilterFn = Value (*)(const Value&, CallArgs&);

const std::map<std::string, FilterFn>& filters() {
  static const std::map<std::string, FilterFn> table = {
      {"abs", [](const Value& v, CallArgs& a) {
         BoundArgs("abs", a, {});
         if (v.kind == Value::Kind::Float) return Value::from_float(std::fabs(v.number));
         if (v.is_number()) return Value::from_int(std::llabs(v.integer));
         throw EvalError("bad operand type for abs(): '" + type_description(v) + "'");
       }},
      {"attr", [](const Value& v, CallArgs& a) {
         BoundArgs b("attr", a, {"name"});
         return get_attribute(v, text_of(b.get(0, kEmpty)));
       }},
      {"capitalize", [](const Value& v, CallArgs& a) { return no_arguments("capitalize", a, Value::string(python_capitalize(text_of(v)))); }},
      {"count", [](const Value& v, CallArgs& a) { return no_arguments("count", a, Value::from_int(length_of(v))); }},
      {"d", filter_default},
      {"default", filter_default},
      {"dictsort", filter_dictsort},
      {"e", [](const Value& v, CallArgs& a) { return no_arguments("e", a, Value::string(html_escape(text_of(v)))); }},
      {"escape", [](const Value& v, CallArgs& a) { return no_arguments("escape", a, Value::string(html_escape(text_of(v)))); }},
      {"first", [](const Value& v, CallArgs& a) { return no_arguments("first", a, filter_first_last(v, true)); }},
      {"float", filter_float},
      {"indent", filter_indent},
      {"int", filter_int},
      {"items", [](const Value& v, CallArgs& a) {
         BoundArgs("items", a, {});
         if (v.is_undefined()) return Value::make_list();
         if (!v.is_mapping()) throw EvalError("Can only get item pairs from a mapping.");
         List items;
         for (const auto& [k, x] : *v.dict) items.push_back(Value::make_tuple({k, x}));
         return Value::make_list(std::move(items));
       }},
      {"join", filter_join},
      {"last", [](const Value& v, CallArgs& a) { return no_arguments("last", a, filter_first_last(v, false)); }},
      {"length", [](const Value& v, CallArgs& a) { return no_arguments("length", a, Value::from_int(length_of(v))); }},
      {"list", [](const Value& v, CallArgs& a) { return no_arguments("list", a, Value::make_list(iterate(v))); }},
      {"lower", [](const Value& v, CallArgs& a) { return no_arguments("lower", a, Value::string(python_lower(text_of(v)))); }},
      {"map", filter_map},
      {"max", [](const Value& v, CallArgs& a) { return filter_min_max(v, a, true); }},
      {"min", [](const Value& v, CallArgs& a) { return filter_min_max(v, a, false); }},
      {"reject", [](const Value& v, CallArgs& a) { return filter_select(v, a, false, false); }},
      {"rejectattr", [](const Value& v, CallArgs& a) { return filter_select(v, a, true, false); }},
      {"replace", filter_replace},
      {"reverse", [](const Value& v, CallArgs& a) {
         BoundArgs("reverse", a, {});
         if (v.is_string()) {
           std::u32string cps = to_code_points(v.text);
           std::reverse(cps.begin(), cps.end());
           return Value::string(to_utf8(cps));
         }
         List items = iterate(v);
         std::reverse(items.begin(), items.end());
         return Value::make_list(std::move(items));
       }},
      {"round", [](const Value& v, CallArgs& a) {
         BoundArgs b("round", a, {"precision", "method"});
         double scale = std::pow(10.0, static_cast<double>(b.get(0, Value::from_int(0)).integer));
         std::string method = text_of(b.get(1, Value::string("common")));
         double x = v.as_double() * scale;
         // Python's round(): halves go to the even neighbour.
         double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
         return Value::from_float(r / scale);
       }},
      {"safe", [](const Value& v, CallArgs& a) { return no_arguments("safe", a, v); }},
      {"select", [](const Value& v, CallArgs& a) { return filter_select(v, a, false, true); }},
      {"selectattr", [](const Value& v, CallArgs& a) { return filter_select(v, a, true, true); }},
      {"sort", filter_sort},
      {"string", [](const Value& v, CallArgs& a) { return no_arguments("string", a, Value::string(text_of(v))); }},
      {"sum", filter_sum},
      {"title", [](const Value& v, CallArgs& a) { return no_arguments("title", a, Value::string(python_title(text_of(v)))); }},
      {"tojson", filter_tojson},
      {"trim", [](const Value& v, CallArgs& a) {
         BoundArgs b("trim", a, {"chars"});
         const Value& chars = b.get(0, kNone);
         std::string set = chars.is_none() ? std::string() : text_of(chars);
         return Value::string(python_strip(text_of(v), chars.is_none() ? nullptr : &set));
       }},
      {"unique", filter_unique},
      {"upper", [](const Value& v, CallArgs& a) { return no_arguments("upper", a, Value::string(python_upper(text_of(v)))); }},
      {"wordcount", [](const Value& v, CallArgs& a) {
         return no_arguments("wordcount", a, Value::from_int(static_cast<int64_t>(python_split_whitespace(text_of(v)).size())));
       }},
  };
  return table;
}

bool test_compare(const Value& v, CallArgs& a, const char* name, int want_sign, bool equal_ok) {
  BoundArgs b(name, a, {"other"});
  const Value& other = b.get(0, kNone);
  int c = compare_values(v, other);
  return (want_sign != 0 && c == want_sign) || (equal_ok && c == 0);
}

using TestFn = bool (*)(const Value&, CallArgs&);

const std::map<std::string, TestFn>& tests() {
  using K = Value::Kind;
  static const std::map<std::string, TestFn> table = {
      {"boolean", [](const Value& v, CallArgs&) { return v.kind == K::Bool; }},
      {"callable", [](const Value& v, CallArgs&) { return v.kind == K::Callable; }},
      {"defined", [](const Value& v, CallArgs&) { return !v.is_undefined(); }},
      {"undefined", [](const Value& v, CallArgs&) { return v.is_undefined(); }},
      {"divisibleby", [](const Value& v, CallArgs& a) {
         BoundArgs b("divisibleby", a, {"num"});
         int64_t n = b.get(0, Value::from_int(1)).integer;
         if (n == 0) throw EvalError("integer division or modulo by zero");
         return v.integer % n == 0;
       }},
      {"eq", [](const Value& v, CallArgs& a) { return equals(v, BoundArgs("eq", a, {"other"}).get(0, kNone)); }},
      {"equalto", [](const Value& v, CallArgs& a) { return equals(v, BoundArgs("equalto", a, {"other"}).get(0, kNone)); }},
      {"==", [](const Value& v, CallArgs& a) { return equals(v, BoundArgs("==", a, {"other"}).get(0, kNone)); }},
      {"ne", [](const Value& v, CallArgs& a) { return !equals(v, BoundArgs("ne", a, {"other"}).get(0, kNone)); }},
      {"!=", [](const Value& v, CallArgs& a) { return !equals(v, BoundArgs("!=", a, {"other"}).get(0, kNone)); }},
      {"lt", [](const Value& v, CallArgs& a) { return test_compare(v, a, "lt", -1, false); }},
      {"lessthan", [](const Value& v, CallArgs& a) { return test_compare(v, a, "lessthan", -1, false); }},
      {"<", [](const Value& v, CallArgs& a) { return test_compare(v, a, "<", -1, false); }},
      {"le", [](const Value& v, CallArgs& a) { return test_compare(v, a, "le", -1, true); }},
      {"<=", [](const Value& v, CallArgs& a) { return test_compare(v, a, "<=", -1, true); }},
      {"gt", [](const Value& v, CallArgs& a) { return test_compare(v, a, "gt", 1, false); }},
      {"greaterthan", [](const Value& v, CallArgs& a) { return test_compare(v, a, "greaterthan", 1, false); }},
      {">", [](const Value& v, CallArgs& a) { return test_compare(v, a, ">", 1, false); }},
      {"ge", [](const Value& v, CallArgs& a) { return test_compare(v, a, "ge", 1, true); }},
      {">=", [](const Value& v, CallArgs& a) { return test_compare(v, a, ">=", 1, true); }},
      {"escaped", [](const Value&, CallArgs&) { return false; }},
      {"even", [](const Value& v, CallArgs&) { return v.integer % 2 == 0; }},
      {"odd", [](const Value& v, CallArgs&) { return v.integer % 2 != 0; }},
      {"false", [](const Value& v, CallArgs&) { return v.kind == K::Bool && !v.boolean; }},
      {"true", [](const Value& v, CallArgs&) { return v.kind == K::Bool && v.boolean; }},
      {"filter", [](const Value& v, CallArgs&) { return v.is_string() && is_filter(v.text); }},
      {"test", [](const Value& v, CallArgs&) { return v.is_string() && is_test(v.text); }},
      {"float", [](const Value& v, CallArgs&) { return v.kind == K::Float; }},
      {"integer", [](const Value& v, CallArgs&) { return v.kind == K::Int; }},
      {"number", [](const Value& v, CallArgs&) { return v.is_number(); }},
      {"in", [](const Value& v, CallArgs& a) { return value_in(v, BoundArgs("in", a, {"seq"}).get(0, kNone)); }},
      {"iterable", [](const Value& v, CallArgs&) {
         return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_mapping();
       }},
      {"sequence", [](const Value& v, CallArgs&) {
         return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_mapping();
       }},
      {"mapping", [](const Value& v, CallArgs&) { return v.is_mapping(); }},
      {"string", [](const Value& v, CallArgs&) { return v.is_string(); }},
      {"none", [](const Value& v, CallArgs&) { return v.is_none(); }},
      {"lower", [](const Value& v, CallArgs&) { return python_is_lower(text_of(v)); }},
      {"upper", [](const Value& v, CallArgs&) { return python_is_upper(text_of(v)); }},
      {"sameas", [](const Value& v, CallArgs& a) {
         const Value& other = BoundArgs("sameas", a, {"other"}).get(0, kNone);
         if (v.kind != other.kind) return false;
         if (v.list || v.dict || v.callable) return v.list == other.list && v.dict == other.dict && v.callable == other.callable;
         return equals(v, other);
       }},
  };
  return table;
}

}  // namespace

bool is_filter(const std::string& name) { return filters().count(name) > 0; }
bool is_test(const std::string& name) { return tests().count(name) > 0; }

Value apply_filter(const std::string& name, const Value& value, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) throw EvalError("No filter named '" + name + "' found.");
  return it->second(value, args);
}

bool apply_test(const std::string& name, const Value& value, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw EvalError("No test named '" + name + "' found.");
  return it->second(value, args);
}

int compare_for_operators(const Value& a, const Value& b) { return compare_values(a, b); }

bool value_in(const Value& item, const Value& container) {
  using K = Value::Kind;
  switch (container.kind) {
    case K::Undefined: return false;
    case K::String:
      if (!item.is_string())
        throw EvalError("'in <string>' requires string as left operand, not " + type_description(item));
      return container.text.find(item.text) != std::string::npos;
    case K::List:
    case K::Tuple:
      return std::any_of(container.list->begin(), container.list->end(), [&](const Value& v) { return equals(v, item); });
    case K::Dict: return container.find(item) != nullptr;
    default: throw EvalError("argument of type '" + python_type_name(container) + "' is not iterable");
  }
}

}  // namespace attn::jinja
