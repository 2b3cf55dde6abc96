// attn quantize's GGUF output: a checkpoint whose Linear weights are
// already converted, written as llama.cpp's convert_hf_to_gguf.py and
// llama-quantize would write it, for llama.cpp and attn alike.
#pragma once

#include <filesystem>

#include "attn/quantize.h"
#include "loaders/checkpoint.h"

namespace attn {

// Llama-style decoders (llama incl. Mistral, qwen2, qwen3): general.* and
// <arch>.* keys from the config (Llama 3 RoPE scaling as rope_freqs
// factors), tensors under llama.cpp's names (Llama's q/k rows permuted for
// ggml's adjacent-pair RoPE unless already so, 1-D tensors in F32), and the
// tokenizer as tokenizer.ggml.* keys (tokenizer/gguf_tokenizer_metadata.h,
// or the input GGUF's own). Throws attn::Error naming the file and the
// problem for anything else.
void write_gguf_model(const Checkpoint& checkpoint, const QuantizeOptions& options, const std::filesystem::path& output);

}  // namespace attn
