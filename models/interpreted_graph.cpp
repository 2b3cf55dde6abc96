#include "models/interpreted_graph.h"

#include <algorithm>
#include <cmath>

#include "attn/error.h"
#include "engine/interpreter/onnx_graph_op.h"
#include "engine/interpreter/program.h"
#include "engine/interpreter/sequence_inputs.h"
#include "engine/ops/elementwise.h"
#include "loaders/onnx/recognise.h"
#include "models/config_reader.h"

namespace attn {

using interpreter::Array;

namespace {

std::shared_ptr<const interpreter::GraphIR> graph_of(const Checkpoint& checkpoint) {
  return {checkpoint.onnx, &checkpoint.onnx->graph};
}

}  // namespace

BuiltModel build_interpreted_graph(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const std::string where = checkpoint.path.string();
  const bool encoder = is_encoder_graph(checkpoint.onnx->graph);
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
  auto program = std::make_shared<const interpreter::Program>(graph_of(checkpoint), checkpoint.onnx->opset(), where);
  const ValueId all = built.graph.add(std::make_unique<OnnxGraphOp>(program, width, encoder, where), {});
  // Decoders keep only the last row unless every row is wanted, as the native builders.
  built.graph.set_output(encoder ? all : built.graph.add(std::make_unique<LastRowOp>(width), {all}));
  return built;
}

double difference_from_graph(const std::shared_ptr<const Model>& model, const Checkpoint& checkpoint) {
  const int vocab = model->info().vocab_size;
  std::vector<TokenId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(static_cast<TokenId>((1 + 7919 * i) % vocab));
  const int64_t width = model->info().encoder ? model->info().hidden_size : vocab;  // hidden states or logits

  const std::string where = checkpoint.path.string();
  const interpreter::Program program(graph_of(checkpoint), checkpoint.onnx->opset(), where);
  const std::vector<Array> outputs = program.run(interpreter::sequence_inputs(program.graph(), ids, where));
  if (outputs.empty() || outputs[0].type() != DType::F32 || outputs[0].numel() % width != 0) {
    throw Error(where + ": the graph's first output is not float rows of " + std::to_string(width) +
                " values (logits or hidden states)");
  }
  const Array& reference_rows = outputs[0];
  Session session(model);
  const std::span<const float> ours_rows = session.forward(ids, true);
  // Compare the rows both give: the ONNX graph may return all positions or only the last.
  const int64_t rows = reference_rows.numel() / width;
  const float* reference = reference_rows.as<float>();
  const float* ours = ours_rows.data() + (static_cast<int64_t>(ids.size()) - rows) * width;
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < rows * width; ++i) {
    scale = std::max(scale, std::fabs(static_cast<double>(reference[i])));
    worst = std::max(worst, std::fabs(static_cast<double>(reference[i]) - ours[i]));
  }
  return worst / std::max(scale, 1.0);
}

}  // namespace attn
