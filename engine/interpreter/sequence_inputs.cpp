#include "engine/interpreter/sequence_inputs.h"

#include "attn/error.h"

namespace attn::interpreter {

std::map<std::string, Array> sequence_inputs(const GraphIR& graph, std::span<const TokenId> ids,
                                             const std::string& where) {
  const int64_t n = static_cast<int64_t>(ids.size());
  std::map<std::string, Array> inputs;
  for (const ValueInfo& input : graph.inputs) {
    const DType type = input.type.value_or(DType::I64);
    const std::string& name = input.name;
    if (name.find("past") != std::string::npos) {
      Shape shape;  // [batch 1, heads, past 0, head_dim]: symbolic dimensions are the batch or the past length
      for (size_t d = 0; d < input.dims.size(); ++d) shape.push_back(input.dims[d].value_or(d == 0 ? 1 : 0));
      inputs[name] = Array(type, shape);
      continue;
    }
    if (type == DType::Bool) {  // use_cache_branch: nothing cached
      inputs[name] = Array(DType::Bool, {1});
      continue;
    }
    const bool ids_input = name == "input_ids" || graph.inputs.size() == 1;
    if (!ids_input && name != "attention_mask" && name != "position_ids" && name != "token_type_ids") {
      throw Error(where + ": graph input '" + name + "' has no known meaning (input_ids, attention_mask, "
                  "position_ids, token_type_ids, past_key_values.*, use_cache_branch)");
    }
    if (type != DType::I64 && type != DType::I32) {
      throw Error(where + ": graph input '" + name + "' must be int64 or int32");
    }
    Array value(type, {1, n});
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = ids_input ? ids[i] : name == "attention_mask" ? 1 : name == "position_ids" ? i : 0;
      if (type == DType::I64) value.mutable_as<int64_t>()[i] = v;
      else value.mutable_as<int32_t>()[i] = static_cast<int32_t>(v);
    }
    inputs[name] = value;
  }
  return inputs;
}

}  // namespace attn::interpreter
