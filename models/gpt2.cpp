// GPT-2 decoder (GPT2LMHeadModel): learned absolute positions, pre-LayerNorm
// blocks with biases, fused q/k/v projection, gelu_new FFN, LM head tied to
// the token embedding.
#include <string>

#include "models/architectures.h"
#include "models/blocks.h"
#include "models/activation.h"
#include "models/config_reader.h"

namespace attn {
namespace {

struct Gpt2Shape {
  int hidden, inner, layers, heads, vocab, positions;
  float eps;
  GeluKind gelu;
  bool linear_layout;  // attn's own key: GGUF files hold the Conv1D weights transposed, as Linear [out, in]
};

Gpt2Shape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  Gpt2Shape s{};
  s.hidden = config.require_int("n_embd");
  s.layers = config.require_int("n_layer");
  s.heads = config.require_int("n_head");
  s.vocab = config.require_int("vocab_size");
  s.positions = config.require_int("n_positions");
  // n_inner defaults to 4 * n_embd, which must itself be a size (fuzz finding:
  // an n_embd near 2^30 overflowed int).
  if (config.is_null_or_absent("n_inner")) {
    if (s.hidden > (1 << 28)) {
      config.fail("n_embd " + std::to_string(s.hidden) + " is too large for the default n_inner (4 * n_embd)");
    }
    s.inner = 4 * s.hidden;
  } else {
    s.inner = config.require_int("n_inner");
  }
  s.eps = static_cast<float>(config.get_double("layer_norm_epsilon", 1e-5));
  s.gelu = gelu_kind(config, config.get_string("activation_function", "gelu_new"));
  s.linear_layout = config.get_bool("conv1d_weights_as_linear", false);
  if (s.hidden % s.heads != 0) config.fail("n_embd must be a multiple of n_head");
  if (!config.get_bool("scale_attn_weights", true) || config.get_bool("scale_attn_by_inverse_layer_idx", false)) {
    config.fail("only the standard 1/sqrt(head_dim) attention scaling of GPT-2 is supported");
  }
  return s;
}

}  // namespace

BuiltModel build_gpt2(const Checkpoint& checkpoint) {
  const Gpt2Shape s = read_shape(checkpoint);
  // GPT2LMHeadModel saves "transformer."-prefixed names; GPT2Model (the
  // original openai-community/gpt2 upload) saves them bare.
  const std::string root = checkpoint.weights.contains("transformer.wte.weight") ? "transformer." : "";
  const Weights w(checkpoint.weights, root);
  const int64_t d = s.hidden;

  GraphBuilder g;
  const ValueId embedding = g.embedding(w.get("wte.weight", {s.vocab, d}));
  ValueId x = g.position_embedding(embedding, w.get("wpe.weight", {s.positions, d}));

  AttentionConfig attention;
  attention.num_heads = attention.num_kv_heads = s.heads;
  attention.head_dim = s.hidden / s.heads;

  const auto conv1d = [&](const Weights& layer, const std::string& name, int64_t in, int64_t out) {
    return s.linear_layout ? layer.linear(name, out, in, true) : layer.conv1d(name, in, out);
  };
  for (int l = 0; l < s.layers; ++l) {
    const Weights layer = w.under("h." + std::to_string(l));
    const auto qkv = split_outputs(conv1d(layer, "attn.c_attn", d, 3 * d), {d, d, d});
    x = transformer_layer(g, x, {
        .attention_norm = layer.layer_norm("ln_1", d, s.eps),
        .attention = {.q = qkv[0], .k = qkv[1], .v = qkv[2], .output = conv1d(layer, "attn.c_proj", d, d),
                      .config = attention},
        .ffn_norm = layer.layer_norm("ln_2", d, s.eps),
        .ffn = FeedForward{.up = conv1d(layer, "mlp.c_fc", d, s.inner), .down = conv1d(layer, "mlp.c_proj", s.inner, d),
                .activation = s.gelu},
    });
  }

  const Weights top(checkpoint.weights);  // the LM head is saved without the prefix
  const auto head = top.has("lm_head.weight") ? std::optional(top.linear("lm_head", s.vocab, d)) : std::nullopt;
  const ValueId logits =
      causal_lm_output(g, x, w.layer_norm("ln_f", d, s.eps), head, embedding, w.full_name("wte.weight"));
  return {g.finish(logits), {.vocab_size = s.vocab, .hidden_size = s.hidden, .num_layers = s.layers,
                             .num_heads = s.heads, .num_kv_heads = s.heads, .context_length = s.positions}};
}

}  // namespace attn
