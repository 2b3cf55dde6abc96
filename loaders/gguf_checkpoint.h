// GGUF files as Checkpoints: llama.cpp's tensor names become Hugging Face
// names, the `general.architecture` and `<arch>.*` keys become a Hugging
// Face-style config, and the `tokenizer.*` keys travel with the checkpoint
// for the tokenizer and chat template. What llama.cpp's convert_hf_to_gguf.py
// changed on the way is undone without copying the weights:
// - Llama's q/k rows are permuted for ggml's adjacent-pair RoPE: the config
//   asks for interleaved RoPE instead (as for llama2.c files).
// - Gemma's norm weights have 1 added: the config asks for x*w, not x*(1+w).
// - RoPE frequency factors stored as tensors (Llama 3's rope_freqs, Phi-3's
//   rope_factors_long/short) become the config's rope_scaling.
// - 3-D expert tensors become per-expert views.
// Tensors of ggml's block types attn has kernels for (Q4_0, Q4_1, Q5_1,
// Q8_0, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_XS) are views of the mapping as the same DTypes; Q5_0 and
// IQ4_NL are repacked once into Q8_0, which holds their values exactly
// (gguf_repack.h); any other type is refused, naming the tensor and type.
#pragma once

#include <filesystem>

#include "loaders/checkpoint.h"

namespace attn {

// Throws attn::Error naming the file and the key or tensor at fault.
Checkpoint load_gguf(const std::filesystem::path& path);

}  // namespace attn
