// Typed access to tokenizer.json fields. A field that is absent or null
// takes its default, as in Hugging Face's serde definitions; a field of the
// wrong type throws nlohmann::json::type_error, which the loader turns into
// an attn::Error naming the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace attn::hf {

using Json = nlohmann::json;

inline bool has(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && !object.at(key).is_null();
}

template <class T>
T get_or(const Json& object, const char* key, T fallback) {
  return has(object, key) ? object.at(key).get<T>() : fallback;
}

// The field, which must be present.
const Json& require(const Json& object, const char* key, std::string_view where);

// The "type" tag of a component (normalizer, pre_tokenizer, ...).
std::string component_type(const Json& component, std::string_view kind);

[[noreturn]] void throw_unknown_component(std::string_view kind, std::string_view type);

}  // namespace attn::hf
