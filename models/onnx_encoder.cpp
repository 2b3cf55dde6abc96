// The fusion pass for BERT-shaped ONNX encoders: word + position (+ token
// type) embeddings and LayerNorm, then post-norm blocks — q/k/v projections,
// bidirectional attention, output projection + residual + LayerNorm, GELU FFN
// + residual + LayerNorm — ending in the graph's first output (the hidden
// states). The padding mask becomes implicit: the engine packs sequences
// without padding. See onnx_import.h for how the result is checked.
#include "attn/error.h"
#include "engine/graph_builder.h"
#include "models/config_reader.h"
#include "models/onnx_import.h"
#include "models/onnx_patterns.h"

namespace attn {
namespace {

using primitive::Array;
using primitive::NodeIR;

// The normalisation (anywhere in the graph) whose input is `x`.
std::optional<std::pair<NormMatch, std::string>> norm_of(const OnnxGraphView& g, const std::string& x) {
  for (const NodeIR& node : g.graph().nodes) {
    if (node.outputs.empty()) continue;
    if (auto n = match_layer_norm(g, node.outputs[0]); n && n->input == g.strip(x)) {
      return std::make_pair(*n, node.outputs[0]);
    }
  }
  return std::nullopt;
}

// True when the Gather's indices are positions (a Range, or a position_ids input).
bool gathers_positions(const OnnxGraphView& g, const NodeIR& gather) {
  std::string v = g.strip(gather.inputs[1]);
  for (int depth = 0; depth < 4; ++depth) {
    if (v == "position_ids") return true;
    const NodeIR* p = g.producer(v);
    if (!p || p->inputs.empty()) return false;
    if (p->op_type == "Range") return true;
    v = g.strip(p->inputs[0]);  // through Unsqueeze/Slice/Expand of the range
  }
  return false;
}

}  // namespace

bool is_onnx_encoder(const primitive::GraphIR& graph) {
  const OnnxGraphView g(graph);
  return !graph.outputs.empty() && match_layer_norm(g, g.strip(graph.outputs[0].name)).has_value();
}

BuiltModel fuse_onnx_encoder(const Checkpoint& checkpoint) {
  const primitive::GraphIR& graph = checkpoint.onnx->graph;
  const OnnxGraphView g(graph);
  const std::string where = checkpoint.path.string();
  auto fail = [&](const std::string& problem) -> BuiltModel {
    throw Error(where + ": cannot map the ONNX graph onto attn's fused encoder: " + problem);
  };
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const std::string& ids = ids_input(graph, where);

  std::optional<Array> words;
  std::string sum;
  for (const NodeIR* reader : g.readers(ids)) {
    if (reader->op_type == "Gather" && (words = g.weight(reader->inputs[0], 2))) {
      sum = reader->outputs[0];
      break;
    }
  }
  if (!words) return fail("no Gather of a 2-D weight by '" + ids + "' (the word embedding)");
  GraphBuilder b;
  ValueId vx = b.embedding(words->to_tensor());
  int positions = 0;
  // Position and token-type terms added to the word embedding, up to the LayerNorm.
  for (bool added = true; added;) {
    added = false;
    for (const NodeIR* reader : g.readers(sum)) {
      if (reader->op_type != "Add") continue;
      const std::string other = g.strip(reader->inputs[0]) == g.strip(sum) ? reader->inputs[1] : reader->inputs[0];
      if (const NodeIR* gather = g.producer_of(other, "Gather")) {
        const auto table = g.weight(gather->inputs[0], 2);
        if (!table) continue;
        if (gathers_positions(g, *gather)) {
          vx = b.position_embedding(vx, table->to_tensor());
          positions = static_cast<int>(table->shape()[0]);
        } else {
          vx = b.token_type_embedding(vx, table->to_tensor());
        }
      } else if (auto row = g.weight(other, 1)) {  // a token-type row the exporter folded to a constant
        vx = b.token_type_embedding(vx, row->reshaped({1, row->numel()}).to_tensor());
      } else {
        continue;
      }
      sum = reader->outputs[0];
      added = true;
      break;
    }
  }
  if (positions == 0) return fail("no position-embedding Gather added to the word embedding");

  AttentionConfig attention;
  attention.num_heads = attention.num_kv_heads = config.require_int("num_attention_heads");
  attention.max_positions = positions;
  attention.causal = false;
  auto next_norm = [&](const std::string& x, const std::string& what) {
    auto n = norm_of(g, x);
    if (!n) fail("no LayerNorm after " + what);
    vx = norm(b, vx, n->first);
    return n->second;
  };
  std::string x = next_norm(sum, "the embeddings");

  const std::vector<Projection> all = projections(g);
  int layers = 0;
  for (;;) {
    std::vector<const Projection*> group;
    for (const Projection& p : all) {
      if (g.strip(p.node->inputs[0]) == g.strip(x)) group.push_back(&p);
    }
    const std::string block = " of layer " + std::to_string(layers);
    if (group.empty()) {
      if (g.strip(graph.outputs[0].name) != g.strip(x)) return fail("the graph's first output is not the last block's LayerNorm");
      const int hidden = static_cast<int>(words->shape()[1]);
      return {b.finish(vx), {.vocab_size = static_cast<int>(words->shape()[0]), .hidden_size = hidden,
                             .num_layers = layers, .num_heads = attention.num_heads,
                             .num_kv_heads = attention.num_heads, .context_length = positions, .encoder = true}};
    }
    if (group.size() != 3) return fail(std::to_string(group.size()) + " projections read the hidden states" + block);
    const int64_t q_width = group[0]->weight.shape()[1];
    if (q_width % attention.num_heads != 0) return fail("q projection width is not a multiple of the head count");
    attention.head_dim = static_cast<int>(q_width / attention.num_heads);
    const ValueId attended = b.attention(linear(b, vx, *group[0]), linear(b, vx, *group[1]), linear(b, vx, *group[2]),
                                         attention);
    auto attention_out = residual_add(g, x, all);
    if (!attention_out) return fail("no residual Add after the attention" + block);
    vx = b.add(vx, linear(b, attended, attention_out->projection));
    x = next_norm(attention_out->output, "the attention" + block);

    const Projection* up = nullptr;
    for (const Projection& p : all) {
      if (g.strip(p.node->inputs[0]) == g.strip(x)) up = &p;
    }
    auto ffn_out = residual_add(g, x, all);
    if (!up || !ffn_out) return fail("no GELU FFN with a residual Add" + block);
    const auto kind = gelu_between(g, up->output, ffn_out->projection.node->inputs[0]);
    if (!kind) return fail("the FFN activation" + block + " is not a GELU");
    vx = b.add(vx, linear(b, b.gelu(linear(b, vx, *up), *kind), ffn_out->projection));
    x = next_norm(ffn_out->output, "the FFN" + block);
    ++layers;
  }
}

}  // namespace attn
