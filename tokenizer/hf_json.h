// Typed access to tokenizer.json fields. A field that is absent or null
// takes its default, as in Hugging Face's serde definitions; a field of the
// wrong type throws nlohmann::json::type_error, which the loader turns into
// an attn::Error naming the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "json/checked.h"

namespace attn::hf {

using Json = nlohmann::json;

inline bool has(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && !object.at(key).is_null();
}

// Integers go through json_int: range-checked, never wrapped or truncated.
template <class T>
T get_or(const Json& object, const char* key, T fallback) {
  if (!has(object, key)) return fallback;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return json_int<T>(object.at(key), std::string("\"") + key + "\"");
  } else {
    return object.at(key).get<T>();
  }
}

// The field, which must be present.
const Json& require(const Json& object, const char* key, std::string_view where);

// The "type" tag of a component (normalizer, pre_tokenizer, ...).
std::string component_type(const Json& component, std::string_view kind);

[[noreturn]] void throw_unknown_component(std::string_view kind, std::string_view type);

}  // namespace attn::hf
