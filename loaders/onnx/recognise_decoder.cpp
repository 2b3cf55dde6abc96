// The recogniser for pre-norm ONNX decoders (see recognise.h). Two shapes,
// the two decoder builders: Llama (models/llama.cpp: RMSNorm, q/k/v
// projections, RoPE, grouped-query attention, SwiGLU; llama2.c and Hugging
// Face exports) and GPT-2 (models/gpt2.cpp: learned positions, LayerNorm,
// one q/k/v projection split in three, biases, GELU). The residual stream
// is followed from the embedding Gather: each block is a normalisation of
// it, the projections reading that norm, and the residual Add of the
// block's last projection.
#include <algorithm>
#include <set>

#include "attn/error.h"
#include "loaders/onnx/patterns.h"
#include "loaders/onnx/recognise.h"

namespace attn {
namespace {

using interpreter::Array;
using interpreter::GraphIR;
using interpreter::NodeIR;

// optimum's merged decoders wrap the decoder in If(use_cache_branch): both
// branches compute the same model (with and without past key/values) from
// the outer graph's weights. The engine keeps its own cache, so the
// with-past branch, read together with the outer initializers and inputs, is
// the decoder to recognise.
GraphIR decoder_graph(const GraphIR& graph) {
  for (const NodeIR& node : graph.nodes) {
    const interpreter::Attribute* branch = node.find("then_branch");
    if (node.op_type != "If" || !branch || !branch->graph || graph.outputs.empty() ||
        std::find(node.outputs.begin(), node.outputs.end(), graph.outputs[0].name) == node.outputs.end()) {
      continue;
    }
    GraphIR flat = *branch->graph;
    flat.initializers.insert(graph.initializers.begin(), graph.initializers.end());
    flat.inputs = graph.inputs;
    return flat;
  }
  return graph;
}

// The constant that ends a Reshape's target shape: a constant shape, or the
// last input of the Concat that assembles one.
std::optional<double> last_shape_entry(const OnnxGraphView& g, const NodeIR& reshape) {
  if (reshape.inputs.size() < 2) return std::nullopt;
  if (auto shape = g.constant(reshape.inputs[1]); shape && shape->numel() > 0) {
    return shape->element_as_double(shape->numel() - 1);
  }
  const NodeIR* concat = g.producer_of(reshape.inputs[1], "Concat");
  return concat && !concat->inputs.empty() ? g.scalar(concat->inputs.back()) : std::nullopt;
}

// Which RoPE the ops after a q projection compute: Hugging Face's
// rotate_half (a Neg of one half concatenated with the other) or llama2.c's
// and Meta's adjacent pairs (a reshape to [..., head_dim / 2, 2]).
std::optional<bool> interleaved_rope_after(const OnnxGraphView& g, const std::string& q) {
  std::vector<std::pair<std::string, int>> pending{{q, 0}};
  std::set<const NodeIR*> seen;
  bool half_split = false, pairs = false;
  while (!pending.empty()) {
    const auto [value, depth] = pending.back();
    pending.pop_back();
    for (const NodeIR* reader : g.readers(value)) {
      // The RoPE lies between the projection and the attention product.
      if (reader->op_type == "MatMul" || reader->op_type == "Softmax" || depth > 12 || !seen.insert(reader).second) {
        continue;
      }
      if (reader->op_type == "Neg") {
        for (const NodeIR* r : g.readers(reader->outputs[0])) half_split |= r->op_type == "Concat";
      }
      if (reader->op_type == "Reshape") pairs |= last_shape_entry(g, *reader) == 2.0;
      for (const std::string& out : reader->outputs) pending.emplace_back(out, depth + 1);
    }
  }
  if (half_split == pairs) return std::nullopt;
  return pairs;
}

class DecoderRecogniser {
 public:
  DecoderRecogniser(const GraphIR& graph, const nlohmann::json& config, const std::string& where)
      : graph_(graph), g_(graph_), config_(config), where_(where) {}

  RecognisedModel run();

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(where_ + ": cannot map the ONNX graph onto the Llama or GPT-2 builder: " + problem);
  }
  void add(const std::string& name, Tensor tensor) { out_.weights.add(name, std::move(tensor), where_); }
  // A projection as Hugging Face stores it: nn.Linear [out, in] (Llama), Conv1D [in, out] (GPT-2).
  void add_projection(const std::string& name, const Projection& p) {
    add(name + ".weight", gpt2_ ? p.weight.to_tensor() : transposed(p.weight));
    if (p.bias) add(name + ".bias", p.bias->to_tensor());
    if (gpt2_ && !p.bias) fail(name + " has no bias (GPT-2's projections all have one)");
  }
  void add_norm(const std::string& name, const NormMatch& n);
  void add_attention(const std::vector<const Projection*>& group, bool fused_qkv, const std::string& layer);
  void add_ffn(const std::vector<const Projection*>& group, const std::string& layer);
  void add_head(const NormMatch& norm, const Projection& head);
  std::string layer_prefix(int layer) const {
    return (gpt2_ ? "h." : "model.layers.") + std::to_string(layer) + ".";
  }

  const GraphIR graph_;
  const OnnxGraphView g_;
  const nlohmann::json& config_;
  const std::string where_;
  RecognisedModel out_;
  bool gpt2_ = false;  // learned positions, LayerNorm, biases, GELU; else Llama-shaped
  std::optional<Array> embedding_;
  std::string x_;  // the residual stream
  std::optional<float> eps_;
  std::optional<bool> interleaved_rope_, qkv_bias_;
  std::optional<std::string> activation_;
  int64_t intermediate_ = 0;
  std::vector<Projection> projections_;
};

void DecoderRecogniser::add_norm(const std::string& name, const NormMatch& n) {
  if (gpt2_ != n.bias.has_value()) fail(name + " is " + (gpt2_ ? "an RMSNorm" : "a LayerNorm"));
  if (eps_ && *eps_ != n.eps) fail(name + " has another epsilon than the norms before it");
  eps_ = n.eps;
  add(name + ".weight", n.weight.to_tensor());
  if (n.bias) add(name + ".bias", n.bias->to_tensor());
}

void DecoderRecogniser::add_attention(const std::vector<const Projection*>& group, bool fused_qkv,
                                      const std::string& layer) {
  if (gpt2_ != fused_qkv) fail(layer + "attention: " + (gpt2_ ? "separate q/k/v projections" : "one fused q/k/v projection"));
  const auto residual = residual_add(g_, x_, projections_);
  if (!residual) fail("no residual Add after the attention of " + layer);
  if (gpt2_) {
    add_projection(layer + "attn.c_attn", *group[0]);
    add_projection(layer + "attn.c_proj", residual->projection);
  } else {
    const char* names[] = {"q_proj", "k_proj", "v_proj"};
    for (int i = 0; i < 3; ++i) {
      if (qkv_bias_ && *qkv_bias_ != group[i]->bias.has_value()) fail(layer + "attention: biases on some of q/k/v only");
      qkv_bias_ = group[i]->bias.has_value();
      add_projection(layer + "self_attn." + names[i], *group[i]);
    }
    if (residual->projection.bias) fail(layer + "attention: an o_proj bias (the Llama builder has none)");
    add_projection(layer + "self_attn.o_proj", residual->projection);
    const auto interleaved = interleaved_rope_after(g_, group[0]->output);
    if (!interleaved) fail(layer + "attention: cannot tell the RoPE layout (rotate_half or adjacent pairs)");
    if (interleaved_rope_ && *interleaved_rope_ != *interleaved) fail("layers differ in their RoPE layout");
    interleaved_rope_ = interleaved;
  }
  x_ = residual->output;
}

void DecoderRecogniser::add_ffn(const std::vector<const Projection*>& group, const std::string& layer) {
  const auto residual = residual_add(g_, x_, projections_);
  if (!residual) fail("no residual Add after the FFN of " + layer);
  if (gpt2_) {
    if (group.size() != 1) fail(layer + "FFN: " + std::to_string(group.size()) + " up projections");
    const auto activation = gelu_between(g_, group[0]->output, residual->projection.node->inputs[0]);
    if (!activation) fail(layer + "FFN: the activation is not a GELU");
    if (activation_ && *activation_ != *activation) fail("layers differ in their GELU");
    activation_ = activation;
    intermediate_ = group[0]->weight.shape()[1];
    add_projection(layer + "mlp.c_fc", *group[0]);
    add_projection(layer + "mlp.c_proj", residual->projection);
  } else {
    // SwiGLU: the gate is the projection a Sigmoid (SiLU) reads.
    auto gated = [&](const Projection* p) {
      const auto readers = g_.readers(p->output);
      return std::any_of(readers.begin(), readers.end(), [](const NodeIR* r) { return r->op_type == "Sigmoid"; });
    };
    if (group.size() != 2) fail(layer + "FFN: " + std::to_string(group.size()) + " projections (SwiGLU has gate and up)");
    const bool first_is_gate = gated(group[0]);
    if (first_is_gate == gated(group[1])) fail(layer + "FFN: cannot tell the gate from the up projection");
    const Projection& gate = *group[first_is_gate ? 0 : 1];
    const Projection& up = *group[first_is_gate ? 1 : 0];
    if (gate.bias || up.bias || residual->projection.bias) fail(layer + "FFN: biases (the Llama builder has none)");
    intermediate_ = gate.weight.shape()[1];
    add_projection(layer + "mlp.gate_proj", gate);
    add_projection(layer + "mlp.up_proj", up);
    add_projection(layer + "mlp.down_proj", residual->projection);
  }
  x_ = residual->output;
}

void DecoderRecogniser::add_head(const NormMatch& norm, const Projection& head) {
  add_norm(gpt2_ ? "ln_f" : "model.norm", norm);
  if (head.bias) fail("the LM head has a bias");
  // A tied head shares the embedding, as the safetensors checkpoint would.
  const bool tied = is_transpose_of(head.weight, *embedding_);
  if (!tied) add("lm_head.weight", transposed(head.weight));
  if (!gpt2_) out_.config["tie_word_embeddings"] = tied;
}

RecognisedModel DecoderRecogniser::run() {
  const std::string& ids = ids_input(graph_, where_);
  for (const NodeIR* reader : g_.readers(ids)) {
    if (reader->op_type != "Gather") continue;
    embedding_ = g_.weight(reader->inputs[0], 2);
    x_ = reader->outputs[0];
    if (embedding_) break;
  }
  if (!embedding_) fail("no Gather of a 2-D weight by '" + ids + "' (the token embedding)");

  // Learned positions (GPT-2): the embedding plus a Gather from a [positions, hidden] table.
  std::optional<Array> positions;
  for (const NodeIR* reader : g_.readers(x_)) {
    if (reader->op_type != "Add") continue;
    for (const std::string& in : reader->inputs) {
      const NodeIR* gather = g_.producer_of(in, "Gather");
      if (gather && gather->outputs[0] != g_.strip(x_)) positions = g_.weight(gather->inputs[0], 2);
    }
    if (positions) {
      x_ = reader->outputs[0];
      break;
    }
  }
  gpt2_ = positions.has_value();
  add(gpt2_ ? "wte.weight" : "model.embed_tokens.weight", embedding_->to_tensor());
  if (gpt2_) add("wpe.weight", positions->to_tensor());

  // Every projection, grouped by the normalisation that feeds it: attention and FFN alternate.
  projections_ = projections(g_);
  int layers = 0;
  for (bool attention = true;; attention = !attention) {
    std::vector<const Projection*> group;
    std::optional<NormMatch> n;
    for (const Projection& p : projections_) {
      const std::string input = g_.strip(p.node->inputs[0]);
      if (!group.empty()) {
        if (input == g_.strip(group[0]->node->inputs[0])) group.push_back(&p);
        continue;
      }
      n = match_norm(g_, input);
      if (n && n->input == g_.strip(x_)) group.push_back(&p);
    }
    if (group.empty()) fail("no normalisation + projection reads the residual stream after layer " + std::to_string(layers));
    const Projection& first = *group[0];
    const auto first_readers = g_.readers(first.output);
    const bool fused_qkv = group.size() == 1 && first_readers.size() == 1 && first_readers[0]->op_type == "Split" &&
                           first_readers[0]->outputs.size() == 3;
    const std::string layer = layer_prefix(layers);
    if (attention && group.size() == 1 && !fused_qkv && g_.strip(graph_.outputs.at(0).name) == first.output) {
      add_head(*n, first);
      break;
    }
    if (attention) {
      if (group.size() != 3 && !fused_qkv) fail(layer + "attention: " + std::to_string(group.size()) + " projections read its norm");
      add_norm(layer + (gpt2_ ? "ln_1" : "input_layernorm"), *n);
      add_attention(group, fused_qkv, layer);
    } else {
      add_norm(layer + (gpt2_ ? "ln_2" : "post_attention_layernorm"), *n);
      add_ffn(group, layer);
      ++layers;
    }
  }

  if (layers == 0) fail("no transformer layers before the LM head");
  // The config keys the graph determines; the rest comes from config.json.
  nlohmann::json& c = out_.config;
  const int64_t vocab = embedding_->shape()[0], hidden = embedding_->shape()[1];
  const auto names = config_.find("architectures");
  const std::string architecture =
      names != config_.end() && names->is_array() && !names->empty() && (*names)[0].is_string() ? (*names)[0] : "";
  if (gpt2_) {
    c["architectures"] = {"GPT2LMHeadModel"};
    c["model_type"] = "gpt2";
    c.update({{"vocab_size", vocab}, {"n_embd", hidden}, {"n_layer", layers}, {"n_inner", intermediate_},
              {"n_positions", positions->shape()[0]}, {"layer_norm_epsilon", *eps_}, {"activation_function", *activation_}});
    if (!config_.contains("n_head") && config_.contains("num_attention_heads")) c["n_head"] = config_["num_attention_heads"];
  } else {
    // Mistral and Qwen2 are Llama-shaped; their own keys (sliding_window) stay meaningful.
    if (architecture != "MistralForCausalLM" && architecture != "Qwen2ForCausalLM") {
      c["architectures"] = {"LlamaForCausalLM"};
      c["model_type"] = "llama";
    }
    c.update({{"vocab_size", vocab}, {"hidden_size", hidden}, {"num_hidden_layers", layers},
              {"intermediate_size", intermediate_}, {"rms_norm_eps", *eps_}, {"rope_interleaved", *interleaved_rope_},
              {"attention_bias", *qkv_bias_}});
    const int64_t q_width = out_.weights.get("model.layers.0.self_attn.q_proj.weight").dim(0);
    const auto heads = config_.find("num_attention_heads");
    if (heads != config_.end() && heads->is_number_integer() && heads->get<int64_t>() > 0 &&
        q_width % heads->get<int64_t>() == 0) {
      c["head_dim"] = q_width / heads->get<int64_t>();
    }
  }
  return std::move(out_);
}

}  // namespace

RecognisedModel recognise_decoder(const GraphIR& graph, const nlohmann::json& config, const std::string& where) {
  return DecoderRecogniser(decoder_graph(graph), config, where).run();
}

}  // namespace attn
