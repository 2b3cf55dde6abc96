// The fusion pass for Llama-shaped ONNX decoders (llama2.c and Hugging Face
// exports): embedding Gather -> per layer RMSNorm, q/k/v projections, RoPE
// attention, output projection + residual, RMSNorm, SwiGLU FFN + residual ->
// final RMSNorm and LM head. See onnx_import.h for how the result is checked.
#include <algorithm>
#include <set>

#include "attn/error.h"
#include "engine/graph_builder.h"
#include "models/config_reader.h"
#include "models/onnx_graph_view.h"
#include "models/onnx_import.h"

namespace attn {
namespace {

using primitive::Array;
using primitive::NodeIR;

struct NormMatch {
  std::string input;  // stripped
  Array weight;
  float eps = 0;
};

// x * 1/sqrt(mean(x^2) + eps) * w, as exporters write RMSNorm (Div or
// Reciprocal, weight on either side), or ORT's SimplifiedLayerNormalization.
std::optional<NormMatch> match_rms_norm(const OnnxGraphView& g, const std::string& out) {
  if (const NodeIR* n = g.producer_of(out, "SimplifiedLayerNormalization")) {
    auto w = n->inputs.size() > 1 ? g.weight(n->inputs[1], 1) : std::nullopt;
    if (!w) return std::nullopt;
    return NormMatch{g.strip(n->inputs[0]), *w, n->get_float("epsilon", 1e-5f)};
  }
  const NodeIR* scale = g.producer_of(out, "Mul");
  if (!scale) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const auto w = g.weight(scale->inputs[side], 1);
    const NodeIR* normalized = g.producer_of(scale->inputs[1 - side], "Mul");
    if (!w || !normalized) continue;
    for (int x_side = 0; x_side < 2; ++x_side) {
      const std::string x = g.strip(normalized->inputs[x_side]);
      const std::string inverse = normalized->inputs[1 - x_side];
      const NodeIR* sqrt = nullptr;
      if (const NodeIR* div = g.producer_of(inverse, "Div"); div && g.scalar(div->inputs[0]) == 1.0) {
        sqrt = g.producer_of(div->inputs[1], "Sqrt");
      } else if (const NodeIR* reciprocal = g.producer_of(inverse, "Reciprocal")) {
        sqrt = g.producer_of(reciprocal->inputs[0], "Sqrt");
      }
      const NodeIR* add = sqrt ? g.producer_of(sqrt->inputs[0], "Add") : nullptr;
      if (!add) continue;
      for (int eps_side = 0; eps_side < 2; ++eps_side) {
        const auto eps = g.scalar(add->inputs[eps_side]);
        const NodeIR* mean = g.producer_of(add->inputs[1 - eps_side], "ReduceMean");
        const NodeIR* square = mean ? g.producer(g.strip(mean->inputs[0])) : nullptr;
        const bool squares_x = square && ((square->op_type == "Pow" && g.scalar(square->inputs[1]) == 2.0 &&
                                           g.strip(square->inputs[0]) == x) ||
                                          (square->op_type == "Mul" && g.strip(square->inputs[0]) == x &&
                                           g.strip(square->inputs[1]) == x));
        if (eps && squares_x) return NormMatch{x, *w, static_cast<float>(*eps)};
      }
    }
  }
  return std::nullopt;
}

// A MatMul by a [in, out] weight initializer.
struct Projection {
  const NodeIR* node;
  Array weight;
};

std::vector<Projection> projections(const OnnxGraphView& g) {
  std::vector<Projection> result;
  for (const NodeIR& node : g.graph().nodes) {
    if (node.op_type != "MatMul" || node.inputs.size() != 2) continue;
    if (auto w = g.weight(node.inputs[1], 2)) result.push_back({&node, *w});
  }
  return result;
}

// [in, out] MatMul weight -> [out, in] f32, the layout LinearOp streams.
Tensor transposed(const Array& weight) {
  const Tensor source = weight.to_tensor().to_f32();
  const int64_t in = source.dim(0), out = source.dim(1);
  Tensor result = Tensor::zeros(DType::F32, {out, in});
  float* dst = result.mutable_data_as<float>();
  for (int64_t i = 0; i < in; ++i) {
    for (int64_t o = 0; o < out; ++o) dst[o * in + i] = source.data_as<float>()[i * out + o];
  }
  return result;
}

// The residual Add that reads `x` and the output of one of `candidates`.
std::pair<const NodeIR*, const Projection*> residual_add(const OnnxGraphView& g, const std::string& x,
                                                         const std::vector<Projection>& candidates) {
  for (const NodeIR* reader : g.readers(x)) {
    if (reader->op_type != "Add") continue;
    for (const std::string& in : reader->inputs) {
      for (const Projection& p : candidates) {
        if (g.strip(in) == p.node->outputs[0]) return {reader, &p};
      }
    }
  }
  return {nullptr, nullptr};
}

const std::string& ids_input(const primitive::GraphIR& graph, const std::string& where) {
  for (const primitive::ValueInfo& input : graph.inputs) {
    if (input.name == "input_ids") return input.name;
  }
  for (const primitive::ValueInfo& input : graph.inputs) {
    if (input.type == primitive::ElemType::Int64 || input.type == primitive::ElemType::Int32) return input.name;
  }
  throw Error(where + ": no integer token-id input (input_ids) to feed");
}

BuiltModel fuse(const Checkpoint& checkpoint, RopeStyle rope_style) {
  const primitive::GraphIR& graph = checkpoint.onnx->graph;
  const OnnxGraphView g(graph);
  const std::string where = checkpoint.path.string();
  auto fail = [&](const std::string& problem) -> BuiltModel {
    throw Error(where + ": cannot map the ONNX graph onto attn's fused decoder: " + problem);
  };
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const std::string& ids = ids_input(graph, where);

  // The token embedding: Gather(table, input_ids).
  std::optional<Array> table;
  std::string x;
  for (const NodeIR* reader : g.readers(ids)) {
    if (reader->op_type != "Gather") continue;
    table = g.weight(reader->inputs[0], 2);
    x = reader->outputs[0];
    if (table) break;
  }
  if (!table) return fail("no Gather of a 2-D weight by '" + ids + "' (the token embedding)");
  const int hidden = static_cast<int>(table->shape()[1]);
  const int vocab = static_cast<int>(table->shape()[0]);

  AttentionConfig attention;
  attention.num_heads = config.require_int("num_attention_heads");
  attention.num_kv_heads = config.get_int("num_key_value_heads", attention.num_heads);
  attention.max_positions = config.get_int("max_position_embeddings", 2048);
  attention.rope = rope_style;
  attention.rope_theta = config.get_double("rope_theta", 10000.0);

  // Every projection, grouped by the normalisation that feeds it.
  const std::vector<Projection> all = projections(g);
  GraphBuilder b;
  ValueId vx = b.embedding(table->to_tensor());
  int layers = 0;
  for (;;) {
    std::vector<const Projection*> group;
    std::optional<NormMatch> norm;
    for (const Projection& p : all) {
      const std::string input = g.strip(p.node->inputs[0]);
      if (!group.empty()) {
        if (input == g.strip(group[0]->node->inputs[0])) group.push_back(&p);
        continue;
      }
      norm = match_rms_norm(g, input);
      if (norm && norm->input == g.strip(x)) group.push_back(&p);
    }
    if (group.empty()) return fail("no RMSNorm + projection reads the residual stream after layer " + std::to_string(layers));
    if (group.size() == 1) {  // final norm and LM head
      if (g.strip(graph.outputs.at(0).name) != group[0]->node->outputs[0]) {
        return fail("the last projection is not the graph's first output (logits)");
      }
      // As the native builders: norm and LM head only on the rows kept.
      const ValueId final_hidden = b.rms_norm(b.last_row(vx), norm->weight.to_tensor(), norm->eps);
      const ValueId logits = b.linear(final_hidden, transposed(group[0]->weight));
      return BuiltModel{b.finish(logits), vocab, hidden, layers, attention.num_heads, attention.num_kv_heads,
                        attention.max_positions};
    }
    const ValueId h = b.rms_norm(vx, norm->weight.to_tensor(), norm->eps);
    if (group.size() == 3) {  // attention: q, k, v in export order
      const int64_t q_width = group[0]->weight.shape()[1];
      if (q_width % attention.num_heads != 0) return fail("q projection width is not a multiple of the head count");
      attention.head_dim = static_cast<int>(q_width / attention.num_heads);
      const ValueId q = b.linear(h, transposed(group[0]->weight));
      const ValueId k = b.linear(h, transposed(group[1]->weight));
      const ValueId v = b.linear(h, transposed(group[2]->weight));
      const ValueId attended = b.attention(q, k, v, attention);
      const auto [add, o] = residual_add(g, x, all);
      if (!add) return fail("no residual Add after the attention of layer " + std::to_string(layers));
      vx = b.add(vx, b.linear(attended, transposed(o->weight)));
      x = add->outputs[0];
    } else if (group.size() == 2) {  // SwiGLU FFN: the gate is the projection SiLU reads
      auto gated = [&](const Projection* p) {
        const auto readers = g.readers(p->node->outputs[0]);
        return std::any_of(readers.begin(), readers.end(), [](const NodeIR* r) { return r->op_type == "Sigmoid"; });
      };
      const bool first_is_gate = gated(group[0]);
      if (first_is_gate == gated(group[1])) return fail("cannot tell the FFN gate from the up projection");
      const Projection* gate = first_is_gate ? group[0] : group[1];
      const Projection* up = first_is_gate ? group[1] : group[0];
      const auto [add, down] = residual_add(g, x, all);
      if (!add) return fail("no residual Add after the FFN of layer " + std::to_string(layers));
      const ValueId ffn = b.swiglu(b.linear(h, transposed(gate->weight)), b.linear(h, transposed(up->weight)));
      vx = b.add(vx, b.linear(ffn, transposed(down->weight)));
      x = add->outputs[0];
      ++layers;
    } else {
      return fail(std::to_string(group.size()) + " projections read one normalisation; expected q/k/v, gate/up or the LM head");
    }
  }
}

}  // namespace

std::vector<BuiltModel> fuse_onnx_decoder(const Checkpoint& checkpoint) {
  std::vector<BuiltModel> candidates;
  candidates.push_back(fuse(checkpoint, RopeStyle::HalfSplit));     // Hugging Face rotate_half
  candidates.push_back(fuse(checkpoint, RopeStyle::Interleaved));   // llama2.c / Meta complex pairs
  return candidates;
}

}  // namespace attn
