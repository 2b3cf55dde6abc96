#include "chat_template/python_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "attn/error.h"

namespace attn::jinja {

std::u32string to_code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += 1 + extra;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

size_t code_point_count(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// Simple case mappings of the scripts chat text commonly holds (Latin,
// Greek, Cyrillic); other scripts have no case or are left as they are.
char32_t python_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

char32_t python_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

std::string python_lower(std::string_view text) {
  std::string out;
  for (char32_t c : to_code_points(text)) append_utf8(out, python_lower(c));
  return out;
}

std::string python_upper(std::string_view text) {
  std::string out;
  for (char32_t c : to_code_points(text)) {
    if (c == 0xDF) {  // ß -> SS
      out += "SS";
      continue;
    }
    append_utf8(out, python_upper(c));
  }
  return out;
}

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, laid out as Python's repr does: positional
  // for exponents -4..15, scientific otherwise.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string sci(buffer, result.ptr);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exponent = std::stoi(sci.substr(e + 1));
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits.push_back(c);
  std::string out = negative ? "-" : "";
  if (exponent >= -5 + 1 && exponent < 16) {
    if (exponent < 0) {
      out += "0." + std::string(-exponent - 1, '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out += digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp_text;
}

namespace {

std::string repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : to_code_points(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xA0) || c == 0xAD) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c == 0x2028 || c == 0x2029 || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF ||
               (c >= 0xD800 && c <= 0xDFFF)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      append_utf8(out, c);
    }
  }
  out.push_back(quote);
  return out;
}

std::string repr_sequence(const Value& value) {
  bool tuple = value.kind == Value::Kind::Tuple;
  std::string out = tuple ? "(" : "[";
  for (size_t i = 0; i < value.list->size(); ++i) {
    if (i) out += ", ";
    out += python_repr((*value.list)[i]);
  }
  if (tuple && value.list->size() == 1) out += ",";
  return out + (tuple ? ")" : "]");
}

}  // namespace

std::string python_repr(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::Undefined: return "Undefined";
    case K::None: return "None";
    case K::Bool: return value.boolean ? "True" : "False";
    case K::Int: return std::to_string(value.integer);
    case K::Float: return python_float_repr(value.number);
    case K::String: return repr_string(value.text);
    case K::List:
    case K::Tuple: return repr_sequence(value);
    case K::Dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : *value.dict) {
        if (!first) out += ", ";
        first = false;
        out += python_repr(k) + ": " + python_repr(v);
      }
      return out + "}";
    }
    case K::Namespace: {
      std::string out = "<Namespace {";
      bool first = true;
      for (const auto& [k, v] : *value.dict) {
        if (!first) out += ", ";
        first = false;
        out += python_repr(k) + ": " + python_repr(v);
      }
      return out + "}>";
    }
    case K::Callable: return "<function " + value.callable->name + ">";
  }
  return "";
}

std::string python_str(const Value& value) {
  if (value.kind == Value::Kind::Undefined) return "";
  if (value.kind == Value::Kind::String) return value.text;
  return python_repr(value);
}

namespace {

void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out.push_back('"');
  for (char32_t c : to_code_points(s)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        char buf[16];
        if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
          if (c >= 0x10000) {
            char32_t v = c - 0x10000;
            std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (unsigned)(v >> 10),
                          0xDC00 + (unsigned)(v & 0x3FF));
          } else {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          }
          out += buf;
        } else {
          append_utf8(out, c);
        }
      }
    }
  }
  out.push_back('"');
}

void json_value(std::string& out, const Value& value, const JsonOptions& options, int depth);

void json_newline(std::string& out, const JsonOptions& options, int depth) {
  out.push_back('\n');
  for (int i = 0; i < depth; ++i) out += options.indent_text;
}

std::string json_key(const Value& key) {
  using K = Value::Kind;
  switch (key.kind) {
    case K::String: return key.text;
    case K::Bool: return key.boolean ? "true" : "false";
    case K::Int: return std::to_string(key.integer);
    case K::Float: return python_float_repr(key.number);
    case K::None: return "null";
    default: throw Error("keys must be str, int, float, bool or None, not " + type_description(key));
  }
}

void json_value(std::string& out, const Value& value, const JsonOptions& options, int depth) {
  using K = Value::Kind;
  bool pretty = options.indent >= 0 || !options.indent_text.empty();
  switch (value.kind) {
    case K::None: out += "null"; return;
    case K::Bool: out += value.boolean ? "true" : "false"; return;
    case K::Int: out += std::to_string(value.integer); return;
    case K::Float:
      if (std::isnan(value.number)) out += "NaN";
      else if (std::isinf(value.number)) out += value.number > 0 ? "Infinity" : "-Infinity";
      else out += python_float_repr(value.number);
      return;
    case K::String: json_string(out, value.text, options.ensure_ascii); return;
    case K::List:
    case K::Tuple: {
      if (value.list->empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < value.list->size(); ++i) {
        if (i) out += options.item_separator;
        if (pretty) json_newline(out, options, depth + 1);
        json_value(out, (*value.list)[i], options, depth + 1);
      }
      if (pretty) json_newline(out, options, depth);
      out.push_back(']');
      return;
    }
    case K::Dict: {
      if (value.dict->empty()) {
        out += "{}";
        return;
      }
      std::vector<std::pair<std::string, const Value*>> items;
      for (const auto& [k, v] : *value.dict) items.emplace_back(json_key(k), &v);
      if (options.sort_keys)
        std::stable_sort(items.begin(), items.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : items) {
        if (!first) out += options.item_separator;
        first = false;
        if (pretty) json_newline(out, options, depth + 1);
        json_string(out, k, options.ensure_ascii);
        out += options.key_separator;
        json_value(out, *v, options, depth + 1);
      }
      if (pretty) json_newline(out, options, depth);
      out.push_back('}');
      return;
    }
    case K::Undefined: throw Error("Object of type Undefined is not JSON serializable");
    case K::Namespace: throw Error("Object of type Namespace is not JSON serializable");
    case K::Callable: throw Error("Object of type function is not JSON serializable");
  }
}

}  // namespace

std::string python_json_dumps(const Value& value, const JsonOptions& options) {
  JsonOptions resolved = options;
  if (resolved.indent >= 0) resolved.indent_text = std::string(resolved.indent, ' ');
  std::string out;
  json_value(out, value, resolved, 0);
  return out;
}

}  // namespace attn::jinja
