// Checking a fused ONNX graph against the graph itself (see onnx_import.h).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attn/error.h"
#include "engine/primitive/program.h"
#include "engine/model_impl.h"
#include "models/onnx_import.h"

namespace attn {
namespace {

using primitive::Array;
using primitive::ElemType;

// Inputs for one sequence of `ids`: the ids, an all-ones attention mask,
// positions 0..n-1, and empty past key/values (no cache yet).
std::map<std::string, Array> probe_inputs(const primitive::GraphIR& graph, const std::vector<TokenId>& ids,
                                          const std::string& where) {
  const int64_t n = static_cast<int64_t>(ids.size());
  std::map<std::string, Array> inputs;
  for (const primitive::ValueInfo& input : graph.inputs) {
    const ElemType type = input.type.value_or(ElemType::Int64);
    Array value;
    if (input.name.find("past") != std::string::npos) {
      Shape shape;  // [batch 1, heads, past 0, head_dim]: symbolic dimensions are batch or past length
      for (size_t d = 0; d < input.dims.size(); ++d) shape.push_back(input.dims[d].value_or(d == 0 ? 1 : 0));
      value = Array(type, shape);
    } else if (type == ElemType::Bool) {
      value = Array(ElemType::Bool, {});  // use_cache_branch: false on the first step
    } else {
      std::vector<int64_t> values(n);
      for (int64_t i = 0; i < n; ++i) {
        values[i] = input.name == "attention_mask" ? 1 : input.name == "position_ids" ? i : ids[i];
      }
      if (input.name != "attention_mask" && input.name != "position_ids" && input.name != "input_ids" &&
          graph.inputs.size() > 1) {
        throw Error(where + ": graph input '" + input.name + "' has no known meaning (input_ids, attention_mask, "
                    "position_ids, past_key_values.*)");
      }
      const Array wide = Array::from_i64s(values).reshaped({1, n});
      value = type == ElemType::Int64 ? wide : Array(type, {1, n});
      if (type == ElemType::Int32) {
        for (int64_t i = 0; i < n; ++i) value.mutable_as<int32_t>()[i] = static_cast<int32_t>(values[i]);
      }
    }
    inputs[input.name] = value;
  }
  return inputs;
}

}  // namespace

std::vector<BuiltModel> fuse_onnx_model(const Checkpoint& checkpoint) {
  try {
    if (is_onnx_encoder(checkpoint.onnx->graph)) {
      std::vector<BuiltModel> encoder;
      encoder.push_back(fuse_onnx_encoder(checkpoint));
      return encoder;
    }
    return fuse_onnx_decoder(checkpoint);
  } catch (const std::logic_error& e) {
    // GraphBuilder checks every op's widths: projections that do not line up
    // mean the pass matched blocks this graph does not have.
    throw Error(checkpoint.path.string() + ": cannot map the ONNX graph onto attn's fused ops (" + e.what() + ")");
  }
}

double fused_logits_difference(const std::shared_ptr<const Model>& fused, const Checkpoint& checkpoint) {
  const primitive::ModelIR& model = *checkpoint.onnx;
  const int vocab = fused->info().vocab_size;
  std::vector<TokenId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(static_cast<TokenId>((1 + 7919 * i) % vocab));
  const int64_t width = fused->impl().graph.output_width();  // logits, or an encoder's hidden states

  const primitive::Program program(std::shared_ptr<const primitive::GraphIR>(checkpoint.onnx, &model.graph),
                                   model.opset(), checkpoint.path.string());
  const Array logits = program.run(probe_inputs(model.graph, ids, checkpoint.path.string())).at(0);
  if (logits.type() != ElemType::Float || logits.numel() % width != 0) {
    throw Error(checkpoint.path.string() + ": the graph's first output " + logits.describe() +
                " is not float rows of " + std::to_string(width) + " values (logits or hidden states)");
  }
  Session session(fused);
  const std::span<const float> native = session.forward(ids, true);
  // Compare the rows both give: the ONNX graph may return all positions or only the last.
  const int64_t rows = logits.numel() / width;
  const float* reference = logits.as<float>();
  const float* ours = native.data() + (static_cast<int64_t>(ids.size()) - rows) * width;
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < rows * width; ++i) {
    scale = std::max(scale, std::fabs(static_cast<double>(reference[i])));
    worst = std::max(worst, std::fabs(static_cast<double>(reference[i]) - ours[i]));
  }
  return worst / std::max(scale, 1.0);
}

}  // namespace attn
