// The fusion pass for pre-norm ONNX decoders: Llama-shaped (llama2.c and
// Hugging Face exports: RMSNorm, q/k/v projections, RoPE attention, SwiGLU)
// and GPT-2-shaped (learned positions, LayerNorm, fused q/k/v split, biases,
// GELU). The residual stream is followed from the embedding Gather: each
// block is a normalisation of it, the projections reading that norm, and the
// residual Add of the block's last projection. See onnx_import.h for how the
// result is checked.
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
  std::optional<Array> bias;  // LayerNorm; RMSNorm has none
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

// (x - mean) / sqrt(var + eps) * w + b: LayerNormalization (opset 17) or
// its decomposition (torch at opset < 17).
std::optional<NormMatch> match_layer_norm(const OnnxGraphView& g, const std::string& out) {
  if (const NodeIR* n = g.producer_of(out, "LayerNormalization")) {
    auto w = n->inputs.size() > 1 ? g.weight(n->inputs[1], 1) : std::nullopt;
    auto b = n->inputs.size() > 2 ? g.weight(n->inputs[2], 1) : std::nullopt;
    if (!w || n->get_int("axis", -1) != -1) return std::nullopt;
    return NormMatch{g.strip(n->inputs[0]), *w, n->get_float("epsilon", 1e-5f), b};
  }
  const NodeIR* shift = g.producer_of(out, "Add");
  if (!shift) return std::nullopt;
  for (int b_side = 0; b_side < 2; ++b_side) {
    const auto bias = g.weight(shift->inputs[b_side], 1);
    const NodeIR* scale = g.producer_of(shift->inputs[1 - b_side], "Mul");
    if (!bias || !scale) continue;
    for (int w_side = 0; w_side < 2; ++w_side) {
      const auto w = g.weight(scale->inputs[w_side], 1);
      const NodeIR* div = g.producer_of(scale->inputs[1 - w_side], "Div");
      const NodeIR* centered = div ? g.producer_of(div->inputs[0], "Sub") : nullptr;
      const NodeIR* sqrt = div ? g.producer_of(div->inputs[1], "Sqrt") : nullptr;
      const NodeIR* add = sqrt ? g.producer_of(sqrt->inputs[0], "Add") : nullptr;
      if (!w || !centered || !add) continue;
      const std::string x = g.strip(centered->inputs[0]);
      const NodeIR* mean = g.producer_of(centered->inputs[1], "ReduceMean");
      if (!mean || g.strip(mean->inputs[0]) != x) continue;
      for (int eps_side = 0; eps_side < 2; ++eps_side) {
        const auto eps = g.scalar(add->inputs[eps_side]);
        const NodeIR* variance = g.producer_of(add->inputs[1 - eps_side], "ReduceMean");
        const NodeIR* square = variance ? g.producer_of(variance->inputs[0], "Pow") : nullptr;
        if (eps && square && g.scalar(square->inputs[1]) == 2.0 &&
            g.strip(square->inputs[0]) == centered->outputs[0]) {
          return NormMatch{x, *w, static_cast<float>(*eps), bias};
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<NormMatch> match_norm(const OnnxGraphView& g, const std::string& out) {
  auto norm = match_rms_norm(g, out);
  return norm ? norm : match_layer_norm(g, out);
}

// A MatMul by a [in, out] weight initializer, with the bias Add after it if any.
struct Projection {
  const NodeIR* node;
  Array weight;
  std::optional<Array> bias;
  std::string output;  // after the bias
};

std::vector<Projection> projections(const OnnxGraphView& g) {
  std::vector<Projection> result;
  for (const NodeIR& node : g.graph().nodes) {
    if (node.op_type != "MatMul" || node.inputs.size() != 2) continue;
    auto w = g.weight(node.inputs[1], 2);
    if (!w) continue;
    Projection p{&node, *w, std::nullopt, node.outputs[0]};
    const auto readers = g.readers(node.outputs[0]);
    if (readers.size() == 1 && readers[0]->op_type == "Add") {
      for (const std::string& in : readers[0]->inputs) {
        if (auto b = g.weight(in, 1); b && b->shape()[0] == w->shape()[1]) {
          p.bias = b;
          p.output = readers[0]->outputs[0];
        }
      }
    }
    result.push_back(std::move(p));
  }
  return result;
}

// Columns [first, first + count) of a [in, out] MatMul weight as [count, in]
// f32, the layout LinearOp streams.
Tensor transposed(const Array& weight, int64_t first = 0, int64_t count = -1) {
  const Tensor source = weight.to_tensor().to_f32();
  const int64_t in = source.dim(0), out = source.dim(1);
  if (count < 0) count = out;
  Tensor result = Tensor::zeros(DType::F32, {count, in});
  float* dst = result.mutable_data_as<float>();
  for (int64_t i = 0; i < in; ++i) {
    for (int64_t o = 0; o < count; ++o) dst[o * in + i] = source.data_as<float>()[i * out + first + o];
  }
  return result;
}

Tensor slice(const Array& bias, int64_t first, int64_t count) {
  const Tensor source = bias.to_tensor().to_f32();
  Tensor result = Tensor::zeros(DType::F32, {count});
  std::copy_n(source.data_as<float>() + first, count, result.mutable_data_as<float>());
  return result;
}

// The linear op of output columns [first, first + count) of a projection.
ValueId linear(GraphBuilder& b, ValueId x, const Projection& p, int64_t first = 0, int64_t count = -1) {
  if (count < 0) count = p.weight.shape()[1];
  if (!p.bias) return b.linear(x, transposed(p.weight, first, count));
  const Tensor bias = slice(*p.bias, first, count);
  return b.linear(x, transposed(p.weight, first, count), &bias);
}

ValueId norm(GraphBuilder& b, ValueId x, const NormMatch& n) {
  if (n.bias) return b.layer_norm(x, n.weight.to_tensor(), n.bias->to_tensor(), n.eps);
  return b.rms_norm(x, n.weight.to_tensor(), n.eps);
}

// The op types between `from` and `to` (walking back from `to`): which GELU an FFN computes.
std::set<std::string> ops_between(const OnnxGraphView& g, const std::string& from, const std::string& to) {
  std::set<std::string> ops, seen;
  std::vector<std::string> pending{to};
  while (!pending.empty() && seen.size() < 64) {
    const std::string v = pending.back();
    pending.pop_back();
    if (v == from || !seen.insert(v).second) continue;
    if (const NodeIR* p = g.producer(v)) {
      ops.insert(p->op_type);
      pending.insert(pending.end(), p->inputs.begin(), p->inputs.end());
    }
  }
  return ops;
}

// The residual Add that reads `x` and one of `candidates`' outputs: the new
// residual stream and the projection added. A bias exported after the
// residual Add ((x + y W) + b, from a module that writes x + y @ W + b) is
// folded into the projection.
struct Residual {
  std::string output;
  Projection projection;
};

std::optional<Residual> residual_add(const OnnxGraphView& g, const std::string& x,
                                     const std::vector<Projection>& candidates) {
  for (const NodeIR* reader : g.readers(x)) {
    if (reader->op_type != "Add") continue;
    for (const std::string& in : reader->inputs) {
      for (const Projection& p : candidates) {
        if (g.strip(in) != p.output) continue;
        Residual r{reader->outputs[0], p};
        const auto next = g.readers(r.output);
        if (!p.bias && next.size() == 1 && next[0]->op_type == "Add") {
          for (const std::string& other : next[0]->inputs) {
            if (auto b = g.weight(other, 1); b && b->shape()[0] == p.weight.shape()[1]) {
              r.projection.bias = b;
              r.output = next[0]->outputs[0];
            }
          }
        }
        return r;
      }
    }
  }
  return std::nullopt;
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

struct Fused {
  BuiltModel built;
  bool rope = false;  // false: positions are learned (a position-embedding Gather)
};

// optimum's merged decoders wrap the decoder in If(use_cache_branch): both
// branches compute the same model (with and without past key/values) from
// the outer graph's weights. The fused graph keeps its own cache, so the
// with-past branch, read together with the outer initializers and inputs, is
// the decoder to fuse.
primitive::GraphIR decoder_graph(const primitive::GraphIR& graph) {
  for (const NodeIR& node : graph.nodes) {
    const primitive::Attribute* branch = node.find("then_branch");
    if (node.op_type != "If" || !branch || !branch->graph || graph.outputs.empty() ||
        std::find(node.outputs.begin(), node.outputs.end(), graph.outputs[0].name) == node.outputs.end()) {
      continue;
    }
    primitive::GraphIR flat = *branch->graph;
    flat.initializers.insert(graph.initializers.begin(), graph.initializers.end());
    flat.inputs = graph.inputs;
    return flat;
  }
  return graph;
}

Fused fuse(const Checkpoint& checkpoint, RopeStyle rope_style) {
  const primitive::GraphIR graph = decoder_graph(checkpoint.onnx->graph);
  const OnnxGraphView g(graph);
  const std::string where = checkpoint.path.string();
  auto fail = [&](const std::string& problem) -> Fused {
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
  GraphBuilder b;
  ValueId vx = b.embedding(table->to_tensor());

  // Learned positions (GPT-2): the embedding plus a Gather from a [positions, hidden] table.
  std::optional<Array> positions;
  for (const NodeIR* reader : g.readers(x)) {
    if (reader->op_type != "Add") continue;
    for (const std::string& in : reader->inputs) {
      const NodeIR* gather = g.producer_of(in, "Gather");
      if (gather && gather->outputs[0] != g.strip(x)) positions = g.weight(gather->inputs[0], 2);
    }
    if (positions) {
      vx = b.position_embedding(vx, positions->to_tensor());
      x = reader->outputs[0];
      break;
    }
  }

  AttentionConfig attention;
  attention.num_heads = config.get_int("num_attention_heads", config.get_int("n_head", 0));
  if (attention.num_heads <= 0) config.fail("needs num_attention_heads (or n_head)");
  attention.num_kv_heads = config.get_int("num_key_value_heads", attention.num_heads);
  attention.max_positions = positions ? static_cast<int>(positions->shape()[0])
                                      : config.get_int("max_position_embeddings", 2048);
  if (!positions) {
    attention.rope = rope_style;
    attention.rope_theta = config.get_double("rope_theta", 10000.0);
  }
  auto set_head_dim = [&](int64_t q_width) {
    if (q_width % attention.num_heads != 0) fail("q projection width is not a multiple of the head count");
    attention.head_dim = static_cast<int>(q_width / attention.num_heads);
  };

  // Every projection, grouped by the normalisation that feeds it.
  const std::vector<Projection> all = projections(g);
  int layers = 0;
  for (;;) {
    std::vector<const Projection*> group;
    std::optional<NormMatch> n;
    for (const Projection& p : all) {
      const std::string input = g.strip(p.node->inputs[0]);
      if (!group.empty()) {
        if (input == g.strip(group[0]->node->inputs[0])) group.push_back(&p);
        continue;
      }
      n = match_norm(g, input);
      if (n && n->input == g.strip(x)) group.push_back(&p);
    }
    if (group.empty()) return fail("no normalisation + projection reads the residual stream after layer " + std::to_string(layers));

    const Projection& first = *group[0];
    const auto first_readers = g.readers(first.output);
    const bool fused_qkv = group.size() == 1 && first_readers.size() == 1 && first_readers[0]->op_type == "Split" &&
                           first_readers[0]->outputs.size() == 3;
    if (group.size() == 1 && !fused_qkv && g.strip(graph.outputs.at(0).name) == first.output) {
      // Final norm and LM head; as the native builders, only on the rows kept.
      const ValueId logits = linear(b, norm(b, b.last_row(vx), *n), first);
      return {BuiltModel{b.finish(logits), vocab, hidden, layers, attention.num_heads, attention.num_kv_heads,
                         attention.max_positions},
              !positions};
    }
    const ValueId h = norm(b, vx, *n);
    const std::string block = " of layer " + std::to_string(layers);
    if (group.size() == 3 || fused_qkv) {  // attention: q, k, v in export order, or one projection split in three
      ValueId q, k, v;
      if (fused_qkv) {
        const int64_t third = first.weight.shape()[1] / 3;
        set_head_dim(third);
        if (attention.num_kv_heads != attention.num_heads) return fail("a fused q/k/v projection with grouped-query heads");
        q = linear(b, h, first, 0, third);
        k = linear(b, h, first, third, third);
        v = linear(b, h, first, 2 * third, third);
      } else {
        set_head_dim(group[0]->weight.shape()[1]);
        q = linear(b, h, *group[0]);
        k = linear(b, h, *group[1]);
        v = linear(b, h, *group[2]);
      }
      const auto residual = residual_add(g, x, all);
      if (!residual) return fail("no residual Add after the attention" + block);
      vx = b.add(vx, linear(b, b.attention(q, k, v, attention), residual->projection));
      x = residual->output;
    } else if (group.size() == 2) {  // SwiGLU FFN: the gate is the projection SiLU reads
      auto gated = [&](const Projection* p) {
        const auto readers = g.readers(p->output);
        return std::any_of(readers.begin(), readers.end(), [](const NodeIR* r) { return r->op_type == "Sigmoid"; });
      };
      const bool first_is_gate = gated(group[0]);
      if (first_is_gate == gated(group[1])) return fail("cannot tell the FFN gate from the up projection" + block);
      const auto residual = residual_add(g, x, all);
      if (!residual) return fail("no residual Add after the FFN" + block);
      const ValueId gate = linear(b, h, *group[first_is_gate ? 0 : 1]);
      const ValueId up = linear(b, h, *group[first_is_gate ? 1 : 0]);
      vx = b.add(vx, linear(b, b.swiglu(gate, up), residual->projection));
      x = residual->output;
      ++layers;
    } else if (group.size() == 1) {  // GELU FFN: which GELU, from the ops between the two projections
      const auto residual = residual_add(g, x, all);
      if (!residual) return fail("no residual Add after the FFN" + block);
      const std::set<std::string> ops = ops_between(g, first.output, residual->projection.node->inputs[0]);
      GeluKind kind;
      if (ops.contains("Tanh") || ops.contains("FastGelu")) {
        kind = GeluKind::Tanh;
      } else if (ops.contains("Erf") || ops.contains("Gelu")) {
        kind = GeluKind::Erf;
      } else {
        return fail("the FFN activation" + block + " is neither SiLU-gated nor a GELU");
      }
      vx = b.add(vx, linear(b, b.gelu(linear(b, h, first), kind), residual->projection));
      x = residual->output;
      ++layers;
    } else {
      return fail(std::to_string(group.size()) + " projections read one normalisation" + block);
    }
  }
}

}  // namespace

std::vector<BuiltModel> fuse_onnx_decoder(const Checkpoint& checkpoint) {
  std::vector<BuiltModel> candidates;
  Fused half_split = fuse(checkpoint, RopeStyle::HalfSplit);  // Hugging Face rotate_half
  const bool rope = half_split.rope;
  candidates.push_back(std::move(half_split.built));
  if (rope) candidates.push_back(fuse(checkpoint, RopeStyle::Interleaved).built);  // llama2.c / Meta complex pairs
  return candidates;
}

}  // namespace attn
