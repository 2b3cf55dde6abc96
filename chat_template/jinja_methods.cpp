#include "chat_template/jinja_methods.h"

#include <algorithm>

#include "chat_template/jinja_builtins.h"
#include "chat_template/python_text.h"

namespace attn::jinja {

std::string python_strip(std::string_view text, const std::string* chars, bool left, bool right) {
  std::u32string cps = to_code_points(text);
  std::u32string set = chars ? to_code_points(*chars) : std::u32string();
  auto strippable = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : is_python_space(c); };
  size_t begin = 0, end = cps.size();
  if (left)
    while (begin < end && strippable(cps[begin])) ++begin;
  if (right)
    while (end > begin && strippable(cps[end - 1])) --end;
  return to_utf8(std::u32string_view(cps).substr(begin, end - begin));
}

List python_split_whitespace(std::string_view text, int64_t max_split) {
  std::u32string cps = to_code_points(text);
  List parts;
  size_t i = 0;
  while (true) {
    while (i < cps.size() && is_python_space(cps[i])) ++i;
    if (i >= cps.size()) break;
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
      parts.push_back(Value::string(to_utf8(std::u32string_view(cps).substr(i))));
      break;
    }
    size_t start = i;
    while (i < cps.size() && !is_python_space(cps[i])) ++i;
    parts.push_back(Value::string(to_utf8(std::u32string_view(cps).substr(start, i - start))));
  }
  return parts;
}

List python_splitlines(std::string_view text, bool keep_ends) {
  std::u32string cps = to_code_points(text);
  List lines;
  size_t start = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
               c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) continue;
    size_t end = i + 1;
    if (c == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') end = i + 2;
    lines.push_back(Value::string(to_utf8(std::u32string_view(cps).substr(start, (keep_ends ? end : i) - start))));
    start = end;
    i = end - 1;
  }
  if (start < cps.size()) lines.push_back(Value::string(to_utf8(std::u32string_view(cps).substr(start))));
  return lines;
}

namespace {

bool is_cased(char32_t c) { return python_lower(c) != c || python_upper(c) != c || (c >= 'a' && c <= 'z'); }
bool is_lower_char(char32_t c) { return python_upper(c) != c; }
bool is_upper_char(char32_t c) { return python_lower(c) != c; }

}  // namespace

std::string python_capitalize(std::string_view text) {
  std::u32string cps = to_code_points(text);
  std::string out;
  for (size_t i = 0; i < cps.size(); ++i) append_utf8(out, i == 0 ? python_upper(cps[i]) : python_lower(cps[i]));
  return out;
}

std::string python_title(std::string_view text) {
  std::string out;
  bool previous_cased = false;
  for (char32_t c : to_code_points(text)) {
    append_utf8(out, previous_cased ? python_lower(c) : python_upper(c));
    previous_cased = is_cased(c);
  }
  return out;
}

bool python_is_lower(std::string_view text) {
  bool any = false;
  for (char32_t c : to_code_points(text)) {
    if (is_upper_char(c)) return false;
    any = any || is_lower_char(c);
  }
  return any;
}

bool python_is_upper(std::string_view text) {
  bool any = false;
  for (char32_t c : to_code_points(text)) {
    if (is_lower_char(c)) return false;
    any = any || is_upper_char(c);
  }
  return any;
}

namespace {

const Value kNone = Value::none();

std::string as_text(const Value& v, const char* method) {
  if (!v.is_string()) throw EvalError(std::string(method) + "() argument must be str, not " + type_description(v));
  return v.text;
}

List split_on(const std::string& text, const std::string& sep, int64_t max_split, bool from_right) {
  if (sep.empty()) throw EvalError("empty separator");
  List parts;
  if (!from_right) {
    size_t start = 0;
    while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
      size_t at = text.find(sep, start);
      if (at == std::string::npos) break;
      parts.push_back(Value::string(text.substr(start, at - start)));
      start = at + sep.size();
    }
    parts.push_back(Value::string(text.substr(start)));
    return parts;
  }
  size_t end = text.size();
  List reversed;
  while (max_split < 0 || static_cast<int64_t>(reversed.size()) < max_split) {
    if (end < sep.size()) break;
    size_t at = text.rfind(sep, end - sep.size());
    if (at == std::string::npos) break;
    reversed.push_back(Value::string(text.substr(at + sep.size(), end - at - sep.size())));
    end = at;
  }
  reversed.push_back(Value::string(text.substr(0, end)));
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

bool affix_matches(const std::string& text, const Value& affix, bool prefix, const char* method) {
  auto one = [&](const Value& candidate) {
    std::string a = as_text(candidate, method);
    if (a.size() > text.size()) return false;
    return prefix ? text.compare(0, a.size(), a) == 0 : text.compare(text.size() - a.size(), a.size(), a) == 0;
  };
  if (affix.kind == Value::Kind::Tuple) return std::any_of(affix.list->begin(), affix.list->end(), one);
  return one(affix);
}

Value string_replace(const std::string& text, const std::string& old, const std::string& replacement, int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts the replacement around every character.
    std::u32string cps = to_code_points(text);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      if (i < cps.size()) append_utf8(out, cps[i]);
    }
    return Value::string(out);
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t at = text.find(old, start);
    if (at == std::string::npos) break;
    out += text.substr(start, at - start) + replacement;
    start = at + old.size();
    ++done;
  }
  return Value::string(out + text.substr(start));
}

Value char_predicate(const std::string& text, bool (*pred)(char32_t)) {
  std::u32string cps = to_code_points(text);
  return Value::from_bool(!cps.empty() && std::all_of(cps.begin(), cps.end(), pred));
}

std::optional<Value> string_method(const Value& object, const std::string& name) {
  const std::string text = object.text;
  auto method = [&](auto fn) { return Value::function(name, fn); };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return method([text, left, right, name](CallArgs& args) {
      BoundArgs a(name, args, {"chars"});
      const Value& chars = a.get(0, kNone);
      if (chars.is_none()) return Value::string(python_strip(text, nullptr, left, right));
      std::string set = as_text(chars, name.c_str());
      return Value::string(python_strip(text, &set, left, right));
    });
  }
  if (name == "split" || name == "rsplit") {
    bool from_right = name == "rsplit";
    return method([text, from_right, name](CallArgs& args) {
      BoundArgs a(name, args, {"sep", "maxsplit"});
      const Value& sep = a.get(0, kNone);
      int64_t max_split = a.get(1, Value::from_int(-1)).integer;
      if (sep.is_none()) {
        if (from_right) {
          // rsplit is split on the reversed text, reversed back.
          std::u32string cps = to_code_points(text);
          std::reverse(cps.begin(), cps.end());
          List parts = python_split_whitespace(to_utf8(cps), max_split);
          std::reverse(parts.begin(), parts.end());
          for (Value& part : parts) {
            std::u32string p = to_code_points(part.text);
            std::reverse(p.begin(), p.end());
            part.text = to_utf8(p);
          }
          return Value::make_list(std::move(parts));
        }
        return Value::make_list(python_split_whitespace(text, max_split));
      }
      return Value::make_list(split_on(text, as_text(sep, name.c_str()), max_split, from_right));
    });
  }
  if (name == "startswith" || name == "endswith") {
    bool prefix = name == "startswith";
    return method([text, prefix, name](CallArgs& args) {
      BoundArgs a(name, args, {"prefix"});
      return Value::from_bool(affix_matches(text, a.get(0, kNone), prefix, name.c_str()));
    });
  }
  if (name == "upper") return method([text](CallArgs& args) { BoundArgs("upper", args, {}); return Value::string(python_upper(text)); });
  if (name == "lower") return method([text](CallArgs& args) { BoundArgs("lower", args, {}); return Value::string(python_lower(text)); });
  if (name == "title") return method([text](CallArgs& args) { BoundArgs("title", args, {}); return Value::string(python_title(text)); });
  if (name == "capitalize") return method([text](CallArgs& args) { BoundArgs("capitalize", args, {}); return Value::string(python_capitalize(text)); });
  if (name == "replace") {
    return method([text](CallArgs& args) {
      BoundArgs a("replace", args, {"old", "new", "count"});
      return string_replace(text, as_text(a.get(0, kNone), "replace"), as_text(a.get(1, kNone), "replace"),
                            a.get(2, Value::from_int(-1)).integer);
    });
  }
  if (name == "find" || name == "rfind" || name == "count" || name == "index") {
    return method([text, name](CallArgs& args) {
      BoundArgs a(name, args, {"sub"});
      std::string sub = as_text(a.get(0, kNone), name.c_str());
      if (name == "count") {
        if (sub.empty()) return Value::from_int(static_cast<int64_t>(code_point_count(text)) + 1);
        int64_t n = 0;
        for (size_t at = text.find(sub); at != std::string::npos; at = text.find(sub, at + sub.size())) ++n;
        return Value::from_int(n);
      }
      size_t at = name == "rfind" ? text.rfind(sub) : text.find(sub);
      if (at == std::string::npos) {
        if (name == "index") throw EvalError("substring not found");
        return Value::from_int(-1);
      }
      return Value::from_int(static_cast<int64_t>(code_point_count(std::string_view(text).substr(0, at))));
    });
  }
  if (name == "join") {
    return method([text](CallArgs& args) {
      BoundArgs a("join", args, {"iterable"});
      std::string out;
      bool first = true;
      for (const Value& item : iterate(a.get(0, kNone))) {
        if (!first) out += text;
        first = false;
        out += as_text(item, "join");
      }
      return Value::string(out);
    });
  }
  if (name == "splitlines") {
    return method([text](CallArgs& args) {
      BoundArgs a("splitlines", args, {"keepends"});
      return Value::make_list(python_splitlines(text, a.get(0, Value::from_bool(false)).truthy()));
    });
  }
  if (name == "isdigit") return method([text](CallArgs&) { return char_predicate(text, [](char32_t c) { return c >= '0' && c <= '9'; }); });
  if (name == "isspace") return method([text](CallArgs&) { return char_predicate(text, is_python_space); });
  if (name == "isalpha")
    return method([text](CallArgs&) { return char_predicate(text, [](char32_t c) { return is_cased(c) || c > 0x2E7F; }); });
  if (name == "isalnum")
    return method([text](CallArgs&) {
      return char_predicate(text, [](char32_t c) { return (c >= '0' && c <= '9') || is_cased(c) || c > 0x2E7F; });
    });
  if (name == "islower") return method([text](CallArgs&) { return Value::from_bool(python_is_lower(text)); });
  if (name == "isupper") return method([text](CallArgs&) { return Value::from_bool(python_is_upper(text)); });
  return std::nullopt;
}

Value unsafe(const std::string& name, const char* type) {
  return Value::undefined("access to attribute '" + name + "' of '" + type + "' object is unsafe.");
}

std::optional<Value> dict_method(const Value& object, const std::string& name) {
  auto dict = object.dict;
  if (name == "get") {
    return Value::function(name, [dict](CallArgs& args) {
      BoundArgs a("get", args, {"key", "default"});
      for (const auto& [k, v] : *dict)
        if (equals(k, a.get(0, kNone))) return v;
      return a.get(1, kNone);
    });
  }
  if (name == "items" || name == "keys" || name == "values") {
    return Value::function(name, [dict, name](CallArgs& args) {
      BoundArgs(name, args, {});
      List out;
      for (const auto& [k, v] : *dict)
        out.push_back(name == "items" ? Value::make_tuple({k, v}) : name == "keys" ? k : v);
      return Value::make_list(std::move(out));
    });
  }
  if (name == "copy") return Value::function(name, [dict](CallArgs&) { return Value::make_dict(*dict); });
  for (const char* m : {"pop", "popitem", "setdefault", "update", "clear"})
    if (name == m) return unsafe(name, "dict");
  return std::nullopt;
}

std::optional<Value> list_method(const Value& object, const std::string& name) {
  auto list = object.list;
  const char* type = object.kind == Value::Kind::Tuple ? "tuple" : "list";
  if (name == "index" || name == "count") {
    return Value::function(name, [list, name](CallArgs& args) {
      BoundArgs a(name, args, {"value"});
      int64_t count = 0;
      for (size_t i = 0; i < list->size(); ++i) {
        if (!equals((*list)[i], a.get(0, kNone))) continue;
        if (name == "index") return Value::from_int(static_cast<int64_t>(i));
        ++count;
      }
      if (name == "index") throw EvalError("value is not in list");
      return Value::from_int(count);
    });
  }
  if (object.kind == Value::Kind::List) {
    if (name == "copy") return Value::function(name, [list](CallArgs&) { return Value::make_list(*list); });
    for (const char* m : {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"})
      if (name == m) return unsafe(name, type);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> bound_method(const Value& object, const std::string& name) {
  switch (object.kind) {
    case Value::Kind::String: return string_method(object, name);
    case Value::Kind::Dict: return dict_method(object, name);
    case Value::Kind::List:
    case Value::Kind::Tuple: return list_method(object, name);
    default: return std::nullopt;
  }
}

}  // namespace attn::jinja
