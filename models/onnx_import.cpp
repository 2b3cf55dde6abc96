// Checking a fused ONNX graph against the graph itself (see onnx_import.h).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attn/error.h"
#include "engine/primitive/program.h"
#include "engine/primitive/sequence_inputs.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/onnx_graph.h"
#include "models/config_reader.h"
#include "models/onnx_import.h"

namespace attn {
using primitive::Array;

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

BuiltModel onnx_op_by_op_model(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const primitive::ModelIR& model = *checkpoint.onnx;
  const std::string where = checkpoint.path.string();
  const bool encoder = is_onnx_encoder(model.graph);
  BuiltModel built;
  ModelInfo& info = built.info;
  info.vocab_size = config.require_int("vocab_size");
  info.hidden_size = config.get_int("hidden_size", config.get_int("n_embd", 0));
  if (info.hidden_size <= 0) config.fail("needs hidden_size (or n_embd)");
  info.num_layers = config.get_int("num_hidden_layers", config.get_int("n_layer", 0));
  info.num_heads = config.get_int("num_attention_heads", config.get_int("n_head", 0));
  info.num_kv_heads = config.get_int("num_key_value_heads", info.num_heads);
  info.context_length = config.get_int("max_position_embeddings", config.get_int("n_positions", 2048));
  info.encoder = encoder;
  const int64_t width = encoder ? info.hidden_size : info.vocab_size;
  auto program = std::make_shared<const primitive::Program>(
      std::shared_ptr<const primitive::GraphIR>(checkpoint.onnx, &model.graph), model.opset(), where);
  const ValueId all = built.graph.add(std::make_unique<OnnxGraphOp>(program, width, encoder, where), {});
  // Decoders keep only the last row unless every row is wanted, as the native builders.
  built.graph.set_output(encoder ? all : built.graph.add(std::make_unique<LastRowOp>(width), {all}));
  return built;
}

double fused_logits_difference(const std::shared_ptr<const Model>& fused, const Checkpoint& checkpoint) {
  const primitive::ModelIR& model = *checkpoint.onnx;
  const int vocab = fused->info().vocab_size;
  std::vector<TokenId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(static_cast<TokenId>((1 + 7919 * i) % vocab));
  const int64_t width = fused->info().encoder ? fused->info().hidden_size : vocab;  // hidden states or logits

  const primitive::Program program(std::shared_ptr<const primitive::GraphIR>(checkpoint.onnx, &model.graph),
                                   model.opset(), checkpoint.path.string());
  const Array logits = program.run(primitive::sequence_inputs(model.graph, ids, checkpoint.path.string())).at(0);
  if (logits.type() != DType::F32 || logits.numel() % width != 0) {
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
