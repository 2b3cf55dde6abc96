#include "loaders/gguf_tensor_names.h"

#include <array>
#include <charconv>
#include <utility>

namespace attn {
namespace {

using Pair = std::pair<std::string_view, std::string_view>;

// Whole-model tensors (without .weight/.bias).
constexpr std::array kDecoderTop{Pair{"token_embd", "model.embed_tokens"}, Pair{"output_norm", "model.norm"},
                                 Pair{"output", "lm_head"}};
constexpr std::array kGpt2Top{Pair{"token_embd", "transformer.wte"}, Pair{"position_embd", "transformer.wpe"},
                              Pair{"output_norm", "transformer.ln_f"}, Pair{"output", "lm_head"}};
constexpr std::array kBertTop{Pair{"token_embd", "embeddings.word_embeddings"},
                              Pair{"position_embd", "embeddings.position_embeddings"},
                              Pair{"token_types", "embeddings.token_type_embeddings"},
                              Pair{"token_embd_norm", "embeddings.LayerNorm"}};

// Per-layer tensors: blk.N.<gguf> -> <layer prefix>.N.<hf>.
constexpr std::array kDecoderLayer{
    Pair{"attn_norm", "input_layernorm"},           Pair{"attn_q", "self_attn.q_proj"},
    Pair{"attn_k", "self_attn.k_proj"},             Pair{"attn_v", "self_attn.v_proj"},
    Pair{"attn_output", "self_attn.o_proj"},        Pair{"attn_qkv", "self_attn.qkv_proj"},
    Pair{"attn_q_norm", "self_attn.q_norm"},        Pair{"attn_k_norm", "self_attn.k_norm"},
    Pair{"post_attention_norm", "post_attention_layernorm"}, Pair{"post_ffw_norm", "post_feedforward_layernorm"},
    Pair{"ffn_gate", "mlp.gate_proj"},              Pair{"ffn_down", "mlp.down_proj"},
};
constexpr std::array kGpt2Layer{Pair{"attn_norm", "ln_1"},      Pair{"attn_qkv", "attn.c_attn"},
                                Pair{"attn_output", "attn.c_proj"}, Pair{"ffn_norm", "ln_2"},
                                Pair{"ffn_up", "mlp.c_fc"},      Pair{"ffn_down", "mlp.c_proj"}};
constexpr std::array kBertLayer{
    Pair{"attn_q", "attention.self.query"},           Pair{"attn_k", "attention.self.key"},
    Pair{"attn_v", "attention.self.value"},           Pair{"attn_output", "attention.output.dense"},
    Pair{"attn_output_norm", "attention.output.LayerNorm"}, Pair{"ffn_up", "intermediate.dense"},
    Pair{"ffn_down", "output.dense"},                 Pair{"layer_output_norm", "output.LayerNorm"}};

template <size_t N>
std::optional<std::string_view> lookup(const std::array<Pair, N>& table, std::string_view key) {
  for (const auto& [gguf, hf] : table)
    if (gguf == key) return hf;
  return std::nullopt;
}

// The decoder tensors whose Hugging Face name depends on the family.
std::optional<HfTensorName> decoder_layer_name(std::string_view arch, const std::string& prefix, std::string_view base,
                                               std::string_view suffix) {
  const bool gemma = arch.starts_with("gemma"), mixtral = arch == "llama";
  const std::string moe = mixtral ? "block_sparse_moe" : "mlp";
  std::string hf;
  if (auto known = lookup(kDecoderLayer, base)) hf = *known;
  // Gemma's pre-FFN norm is its own; the others' is post_attention_layernorm.
  else if (base == "ffn_norm") hf = gemma ? "pre_feedforward_layernorm" : "post_attention_layernorm";
  else if (base == "ffn_up") hf = arch == "phi3" ? "mlp.gate_up_proj" : "mlp.up_proj";  // Phi-3 fuses gate and up
  else if (base == "ffn_gate_inp") hf = moe + ".gate";
  else {
    // Mixtral's experts are w1 (gate), w3 (up), w2 (down).
    constexpr std::array kExperts{Pair{"ffn_gate_exps", "gate_proj"}, Pair{"ffn_up_exps", "up_proj"},
                                  Pair{"ffn_down_exps", "down_proj"}};
    constexpr std::array kMixtralExperts{Pair{"ffn_gate_exps", "w1"}, Pair{"ffn_up_exps", "w3"}, Pair{"ffn_down_exps", "w2"}};
    const auto expert = mixtral ? lookup(kMixtralExperts, base) : lookup(kExperts, base);
    if (!expert) return std::nullopt;
    return HfTensorName{prefix + moe + ".experts.{E}." + std::string(*expert) + std::string(suffix), true};
  }
  return HfTensorName{prefix + hf + std::string(suffix)};
}

}  // namespace

std::string HfTensorName::expert_name(int64_t expert) const {
  const size_t at = name.find("{E}");
  return name.substr(0, at) + std::to_string(expert) + name.substr(at + 3);
}

std::optional<HfTensorName> hf_tensor_name(std::string_view arch, std::string_view gguf_name) {
  if (gguf_name == "rope_freqs.weight" || gguf_name == "rope_factors_long.weight" ||
      gguf_name == "rope_factors_short.weight") {
    return std::nullopt;
  }
  const HfTensorName unchanged{std::string(gguf_name)};
  const size_t dot = gguf_name.rfind('.');
  if (dot == std::string_view::npos) return unchanged;
  const std::string_view suffix = gguf_name.substr(dot);  // ".weight" or ".bias"
  std::string_view stem = gguf_name.substr(0, dot);
  const bool gpt2 = arch == "gpt2", bert = arch == "bert";

  if (!stem.starts_with("blk.")) {
    const auto hf = gpt2 ? lookup(kGpt2Top, stem) : bert ? lookup(kBertTop, stem) : lookup(kDecoderTop, stem);
    return hf ? HfTensorName{std::string(*hf) + std::string(suffix)} : unchanged;
  }
  stem.remove_prefix(4);
  const size_t layer_end = stem.find('.');
  int layer = -1;
  if (layer_end == std::string_view::npos ||
      std::from_chars(stem.data(), stem.data() + layer_end, layer).ptr != stem.data() + layer_end || layer < 0) {
    return unchanged;
  }
  const std::string_view base = stem.substr(layer_end + 1);
  const std::string number = std::to_string(layer) + ".";
  std::optional<HfTensorName> hf;
  if (gpt2) {
    if (auto name = lookup(kGpt2Layer, base)) hf = HfTensorName{"transformer.h." + number + std::string(*name) + std::string(suffix)};
  } else if (bert) {
    if (auto name = lookup(kBertLayer, base)) hf = HfTensorName{"encoder.layer." + number + std::string(*name) + std::string(suffix)};
  } else {
    hf = decoder_layer_name(arch, "model.layers." + number, base, suffix);
  }
  return hf ? hf : unchanged;
}

std::optional<std::string> gguf_decoder_tensor_name(std::string_view hf_name) {
  const size_t dot = hf_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string suffix(hf_name.substr(dot));
  const std::string_view stem = hf_name.substr(0, dot);
  for (const auto& [gguf, hf] : kDecoderTop)
    if (hf == stem) return std::string(gguf) + suffix;
  constexpr std::string_view kLayers = "model.layers.";
  if (!stem.starts_with(kLayers)) return std::nullopt;
  const std::string_view rest = stem.substr(kLayers.size());
  const size_t layer_end = rest.find('.');
  int layer = -1;
  if (layer_end == std::string_view::npos ||
      std::from_chars(rest.data(), rest.data() + layer_end, layer).ptr != rest.data() + layer_end || layer < 0) {
    return std::nullopt;
  }
  const std::string_view base = rest.substr(layer_end + 1);
  std::optional<std::string_view> gguf;
  for (const auto& [g, hf] : kDecoderLayer)
    if (hf == base) gguf = g;
  if (base == "post_attention_layernorm") gguf = "ffn_norm";  // the pre-FFN norm of non-Gemma decoders
  if (base == "mlp.up_proj") gguf = "ffn_up";
  if (!gguf) return std::nullopt;
  return "blk." + std::to_string(layer) + "." + std::string(*gguf) + suffix;
}

}  // namespace attn
