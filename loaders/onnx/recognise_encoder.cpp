// The recogniser for BERT-shaped ONNX encoders (see recognise.h), for
// models/bert.cpp: word + position (+ token type) embeddings and LayerNorm,
// then post-norm blocks — q/k/v projections, bidirectional attention, output
// projection + residual + LayerNorm, GELU FFN + residual + LayerNorm —
// ending in the graph's first output (the hidden states). The padding mask
// is dropped: the engine packs sequences without padding.
#include "attn/error.h"
#include "loaders/onnx/patterns.h"
#include "loaders/onnx/recognise.h"

namespace attn {
namespace {

using interpreter::Array;
using interpreter::GraphIR;
using interpreter::NodeIR;

// The normalisation (anywhere in the graph) whose input is `x`, and its output.
std::optional<std::pair<NormMatch, std::string>> norm_of(const OnnxGraphView& g, const std::string& x) {
  for (const NodeIR& node : g.graph().nodes) {
    if (node.outputs.empty()) continue;
    if (auto n = match_layer_norm(g, node.outputs[0]); n && n->input == g.strip(x)) {
      return std::make_pair(*n, node.outputs[0]);
    }
  }
  return std::nullopt;
}

// True when the Gather's indices are positions counted from 0 (a Range, or a
// position_ids input), as BERT's are.
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

bool is_encoder_graph(const GraphIR& graph) {
  const OnnxGraphView g(graph);
  return !graph.outputs.empty() && match_layer_norm(g, g.strip(graph.outputs[0].name)).has_value();
}

RecognisedModel recognise_encoder(const GraphIR& graph, const nlohmann::json& config, const std::string& where) {
  const OnnxGraphView g(graph);
  auto fail = [&](const std::string& problem) {
    throw Error(where + ": cannot map the ONNX graph onto the BERT builder: " + problem);
  };
  RecognisedModel out;
  auto add = [&](const std::string& name, Tensor tensor) { out.weights.add(name, std::move(tensor), where); };
  std::optional<float> eps;
  auto add_norm = [&](const std::string& name, const NormMatch& n) {
    if (!n.bias) fail(name + " has no bias (BERT's LayerNorms all have one)");
    if (eps && *eps != n.eps) fail(name + " has another epsilon than the norms before it");
    eps = n.eps;
    add(name + ".weight", n.weight.to_tensor());
    add(name + ".bias", n.bias->to_tensor());
  };
  auto add_dense = [&](const std::string& name, const Projection& p) {
    if (!p.bias) fail(name + " has no bias (BERT's dense layers all have one)");
    add(name + ".weight", transposed(p.weight));
    add(name + ".bias", p.bias->to_tensor());
  };

  const std::string& ids = ids_input(graph, where);
  std::optional<Array> words;
  std::string sum;
  for (const NodeIR* reader : g.readers(ids)) {
    if (reader->op_type == "Gather" && (words = g.weight(reader->inputs[0], 2))) {
      sum = reader->outputs[0];
      break;
    }
  }
  if (!words) fail("no Gather of a 2-D weight by '" + ids + "' (the word embedding)");
  const int64_t hidden = words->shape()[1];
  add("embeddings.word_embeddings.weight", words->to_tensor());
  std::optional<Array> positions, token_types;
  // Position and token-type terms added to the word embedding, up to the LayerNorm.
  for (bool added = true; added;) {
    added = false;
    for (const NodeIR* reader : g.readers(sum)) {
      if (reader->op_type != "Add") continue;
      const std::string other = g.strip(reader->inputs[0]) == g.strip(sum) ? reader->inputs[1] : reader->inputs[0];
      if (const NodeIR* gather = g.producer_of(other, "Gather")) {
        const auto table = g.weight(gather->inputs[0], 2);
        if (!table) continue;
        (gathers_positions(g, *gather) ? positions : token_types) = table;
      } else if (auto row = g.weight(other, 1)) {  // a token-type row the exporter folded to a constant
        token_types = row->reshaped({1, row->numel()});
      } else {
        continue;
      }
      sum = reader->outputs[0];
      added = true;
      break;
    }
  }
  if (!positions) fail("no position-embedding Gather added to the word embedding");
  add("embeddings.position_embeddings.weight", positions->to_tensor());
  // No token-type term is one token type whose embedding is zero.
  add("embeddings.token_type_embeddings.weight",
      token_types ? token_types->to_tensor() : Tensor::zeros(DType::F32, {1, hidden}));
  auto next_norm = [&](const std::string& x, const std::string& name) {
    auto n = norm_of(g, x);
    if (!n) fail("no LayerNorm " + name);
    add_norm(name, n->first);
    return n->second;
  };
  std::string x = next_norm(sum, "embeddings.LayerNorm");

  const std::vector<Projection> all = projections(g);
  std::optional<std::string> activation;
  int64_t intermediate = 0;
  int layers = 0;
  for (;; ++layers) {
    std::vector<const Projection*> group;
    for (const Projection& p : all) {
      if (g.strip(p.node->inputs[0]) == g.strip(x)) group.push_back(&p);
    }
    const std::string layer = "encoder.layer." + std::to_string(layers) + ".";
    if (group.empty()) {
      if (g.strip(graph.outputs[0].name) != g.strip(x)) fail("the graph's first output is not the last block's LayerNorm");
      break;
    }
    if (group.size() != 3) fail(layer + "attention: " + std::to_string(group.size()) + " projections read the hidden states");
    add_dense(layer + "attention.self.query", *group[0]);
    add_dense(layer + "attention.self.key", *group[1]);
    add_dense(layer + "attention.self.value", *group[2]);
    const auto attention_out = residual_add(g, x, all);
    if (!attention_out) fail("no residual Add after the attention of " + layer);
    add_dense(layer + "attention.output.dense", attention_out->projection);
    x = next_norm(attention_out->output, layer + "attention.output.LayerNorm");

    const Projection* up = nullptr;
    for (const Projection& p : all) {
      if (g.strip(p.node->inputs[0]) == g.strip(x)) up = &p;
    }
    const auto ffn_out = residual_add(g, x, all);
    if (!up || !ffn_out) fail("no GELU FFN with a residual Add in " + layer);
    const auto gelu = gelu_between(g, up->output, ffn_out->projection.node->inputs[0]);
    if (!gelu) fail(layer + "FFN: the activation is not a GELU");
    if (activation && *activation != *gelu) fail("layers differ in their GELU");
    activation = gelu;
    intermediate = up->weight.shape()[1];
    add_dense(layer + "intermediate.dense", *up);
    add_dense(layer + "output.dense", ffn_out->projection);
    x = next_norm(ffn_out->output, layer + "output.LayerNorm");
  }
  if (layers == 0) fail("no transformer layers");

  // The config keys the graph determines; the rest (head count) comes from config.json.
  // Positions count from 0 as in BERT (RoBERTa's start after the padding id, from a CumSum, not a Range).
  out.config = {{"architectures", {"BertModel"}}, {"model_type", "bert"}, {"vocab_size", words->shape()[0]},
                {"hidden_size", hidden}, {"num_hidden_layers", layers}, {"intermediate_size", intermediate},
                {"max_position_embeddings", positions->shape()[0]},
                {"type_vocab_size", token_types ? token_types->shape()[0] : 1}, {"layer_norm_eps", *eps},
                {"hidden_act", *activation}, {"position_embedding_type", "absolute"}};
  return out;
}

RecognisedModel recognise_onnx_model(const GraphIR& graph, const nlohmann::json& config, const std::string& where) {
  return is_encoder_graph(graph) ? recognise_encoder(graph, config, where) : recognise_decoder(graph, config, where);
}

}  // namespace attn
