#include "tokenizer/hf_json.h"

#include "attn/error.h"

namespace attn::hf {

const Json& require(const Json& object, const char* key, std::string_view where) {
  if (!has(object, key)) throw Error(std::string(where) + " has no \"" + key + "\" field");
  return object.at(key);
}

std::string component_type(const Json& component, std::string_view kind) {
  if (!component.is_object()) throw Error(std::string(kind) + " must be a JSON object");
  return require(component, "type", kind).get<std::string>();
}

void throw_unknown_component(std::string_view kind, std::string_view type) {
  throw Error("unknown " + std::string(kind) + " type \"" + std::string(type) +
              "\"; attn does not support it (check the tokenizer.json or use a newer attn)");
}

}  // namespace attn::hf
