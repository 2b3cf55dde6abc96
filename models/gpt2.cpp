// GPT-2 decoder (GPT2LMHeadModel): learned absolute positions, pre-LayerNorm
// blocks with biases, fused q/k/v projection, gelu_new FFN, LM head tied to
// the token embedding.
#include <algorithm>
#include <string>

#include "engine/graph_builder.h"
#include "models/architectures.h"
#include "models/activation.h"
#include "models/config_reader.h"

namespace attn {
namespace {

struct Gpt2Shape {
  int hidden, inner, layers, heads, vocab, positions;
  float eps;
  GeluKind gelu;
};

Gpt2Shape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  Gpt2Shape s{};
  s.hidden = config.require_int("n_embd");
  s.layers = config.require_int("n_layer");
  s.heads = config.require_int("n_head");
  s.vocab = config.require_int("vocab_size");
  s.positions = config.require_int("n_positions");
  s.inner = config.get_int("n_inner", 4 * s.hidden);
  s.eps = static_cast<float>(config.get_double("layer_norm_epsilon", 1e-5));
  s.gelu = gelu_kind(config, config.json().value("activation_function", "gelu_new"));
  if (s.hidden % s.heads != 0) config.fail("n_embd must be a multiple of n_head");
  if (!config.get_bool("scale_attn_weights", true) || config.get_bool("scale_attn_by_inverse_layer_idx", false)) {
    config.fail("only the standard 1/sqrt(head_dim) attention scaling of GPT-2 is supported");
  }
  return s;
}

// Conv1D stores weights [in, out]; Linear wants [out, in]. Returns columns
// [first, first + count) of `weight`, transposed to f32 [count, in].
Tensor conv1d_as_linear(const Tensor& weight, int64_t first, int64_t count) {
  const Tensor source = weight.to_f32();
  const int64_t in = source.dim(0), out = source.dim(1);
  Tensor result = Tensor::zeros(DType::F32, {count, in});
  float* dst = result.mutable_data_as<float>();
  for (int64_t o = 0; o < count; ++o) {
    for (int64_t i = 0; i < in; ++i) dst[o * in + i] = source.data_as<float>()[i * out + first + o];
  }
  return result;
}

Tensor slice(const Tensor& bias, int64_t first, int64_t count) {
  const Tensor source = bias.to_f32();
  Tensor result = Tensor::zeros(DType::F32, {count});
  std::copy_n(source.data_as<float>() + first, count, result.mutable_data_as<float>());
  return result;
}

}  // namespace

BuiltModel build_gpt2(const Checkpoint& checkpoint) {
  const Gpt2Shape s = read_shape(checkpoint);
  const WeightStore& w = checkpoint.weights;
  // GPT2LMHeadModel saves "transformer."-prefixed names; GPT2Model (the
  // original openai-community/gpt2 upload) saves them bare.
  const std::string root = w.contains("transformer.wte.weight") ? "transformer." : "";

  GraphBuilder g;
  const Tensor& wte = w.get(root + "wte.weight", {s.vocab, s.hidden});
  ValueId x = g.position_embedding(g.embedding(wte), w.get(root + "wpe.weight", {s.positions, s.hidden}));

  AttentionConfig attention;
  attention.num_heads = attention.num_kv_heads = s.heads;
  attention.head_dim = s.hidden / s.heads;
  attention.max_positions = s.positions;

  for (int l = 0; l < s.layers; ++l) {
    const std::string p = root + "h." + std::to_string(l) + ".";
    auto norm = [&](ValueId in, const std::string& name) {
      return g.layer_norm(in, w.get(p + name + ".weight", {s.hidden}), w.get(p + name + ".bias", {s.hidden}), s.eps);
    };
    // A Conv1D projection, or the [first, first + count) outputs of one.
    auto conv1d = [&](ValueId in, const std::string& name, int64_t in_width, int64_t out_width, int64_t first,
                      int64_t count) {
      const Tensor& weight = w.get(p + name + ".weight", {in_width, out_width});
      const Tensor& bias = w.get(p + name + ".bias", {out_width});
      const Tensor part_bias = slice(bias, first, count);
      return g.linear(in, conv1d_as_linear(weight, first, count), &part_bias);
    };

    const ValueId h = norm(x, "ln_1");
    const int64_t d = s.hidden;
    const ValueId q = conv1d(h, "attn.c_attn", d, 3 * d, 0, d);
    const ValueId k = conv1d(h, "attn.c_attn", d, 3 * d, d, d);
    const ValueId v = conv1d(h, "attn.c_attn", d, 3 * d, 2 * d, d);
    x = g.add(x, conv1d(g.attention(q, k, v, attention), "attn.c_proj", d, d, 0, d));

    const ValueId up = conv1d(norm(x, "ln_2"), "mlp.c_fc", d, s.inner, 0, s.inner);
    x = g.add(x, conv1d(g.gelu(up, s.gelu), "mlp.c_proj", s.inner, d, 0, d));
  }

  // Final norm and LM head run on the last row only, unless every row is wanted.
  const ValueId final_hidden = g.layer_norm(g.last_row(x), w.get(root + "ln_f.weight", {s.hidden}),
                                            w.get(root + "ln_f.bias", {s.hidden}), s.eps);
  const Tensor& lm_head = w.contains("lm_head.weight") ? w.get("lm_head.weight", {s.vocab, s.hidden}) : wte;
  const ValueId logits = g.linear(final_hidden, lm_head);
  return BuiltModel{g.finish(logits), s.vocab, s.hidden, s.layers, s.heads, s.heads, s.positions};
}

}  // namespace attn
