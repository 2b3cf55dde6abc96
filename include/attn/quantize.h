// Writing a model directory with its Linear weights in another type: int8
// (per-output-channel symmetric, scales beside the weights and the scheme
// documented under "quantization" in config.json), ggml's block types Q4_0,
// Q8_0, Q4_K, Q6_K and llama.cpp's Q4_K_M mix (the blocks as U8 tensors,
// loaders/block_format.h), bf16 or f16. The result
// is a Hugging Face-style directory that Model::load reads.
#pragma once

#include "attn/export.h"

#include <filesystem>
#include <optional>

#include "attn/model.h"

namespace attn ATTN_API {

struct QuantizeOptions {
  DType type = DType::I8;  // F32, F16, BF16, I8, Q4_0, Q8_0, Q4_K or Q6_K
  // As LoadOptions::tokenizer: required for llama2.c .bin files without a
  // tokenizer.model beside them.
  std::optional<std::filesystem::path> tokenizer;
  // With type Q4_K: llama.cpp's Q4_K_M, Q6_K for the value and down
  // projections of the layers llama.cpp picks (engine/weight_conversion.h).
  bool q4_k_m = false;
  // Write one GGUF file, as llama.cpp's (also when the output ends in
  // .gguf): Llama, Mistral, Qwen2 and Qwen3 models, any type but int8.
  bool gguf = false;
};

// Reads the model at `input` (a Hugging Face directory, a GGUF file or a
// llama2.c .bin) and writes `output` (created if missing): model.safetensors,
// config.json, generation_config.json and the tokenizer and other
// non-weight files, or with `gguf` that one file (models/quantize_gguf.h).
// Throws attn::Error when the input cannot be loaded or `output` cannot be
// written (or is the input itself).
void quantize_model(const std::filesystem::path& input, const std::filesystem::path& output,
                    const QuantizeOptions& options = {});

}  // namespace attn
