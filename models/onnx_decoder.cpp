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
#include "models/onnx_import.h"
#include "models/onnx_patterns.h"

namespace attn {
namespace {

using primitive::Array;
using primitive::NodeIR;

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
      return {BuiltModel{b.finish(logits), {.vocab_size = vocab, .hidden_size = hidden, .num_layers = layers,
                                             .num_heads = attention.num_heads,
                                             .num_kv_heads = attention.num_kv_heads,
                                             .context_length = attention.max_positions}},
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
      const auto kind = gelu_between(g, first.output, residual->projection.node->inputs[0]);
      if (!kind) return fail("the FFN activation" + block + " is neither SiLU-gated nor a GELU");
      vx = b.add(vx, linear(b, b.gelu(linear(b, h, first), *kind), residual->projection));
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
