// JSON output lines of the CLI. Strings may come from the input (a line
// echoed in an error message, a decoded text) and hold invalid UTF-8, which
// nlohmann's default dump() throws on: they are written with U+FFFD instead.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attn::cli {

template <class Json>
std::string json_text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// At most `max_bytes` of `text` for a message, never cut inside a UTF-8
// character (continuation bytes 10xxxxxx go with the character before them).
inline std::string excerpt(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

}  // namespace attn::cli
