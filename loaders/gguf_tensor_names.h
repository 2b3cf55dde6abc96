// llama.cpp's GGUF tensor names (gguf-py's TENSOR_NAMES) to the Hugging
// Face names the model builders look up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attn {

struct HfTensorName {
  std::string name;
  // 3-D expert tensors (blk.N.ffn_*_exps): `name` holds "{E}" where each
  // expert's index goes.
  bool per_expert = false;
  std::string expert_name(int64_t expert) const;
};

// nullopt for tensors that are not weights in Hugging Face terms (RoPE
// frequency factors, read into the config). Names attn does not know keep
// their GGUF spelling, so nothing in the file is dropped silently.
std::optional<HfTensorName> hf_tensor_name(std::string_view architecture, std::string_view gguf_name);

// The other way, for writing GGUF: the name llama.cpp gives a tensor of a
// Hugging Face llama-style decoder (llama, qwen2, qwen3: model.layers.N.*,
// model.embed_tokens, model.norm, lm_head); nullopt when it has none.
std::optional<std::string> gguf_decoder_tensor_name(std::string_view hf_name);

}  // namespace attn
