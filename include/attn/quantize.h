// Writing a model directory with its Linear weights in another type: int8
// (per-output-channel symmetric, scales beside the weights and the scheme
// documented under "quantization" in config.json), Q4_0 (ggml's blocks as
// U8 tensors, loaders/q4_0_format.h), bf16 or f16. The result
// is a Hugging Face-style directory that Model::load reads.
#pragma once

#include "attn/export.h"

#include <filesystem>
#include <optional>

#include "attn/model.h"

namespace attn ATTN_API {

struct QuantizeOptions {
  DType type = DType::I8;  // F32, F16, BF16, I8 or Q4_0
  // As LoadOptions::tokenizer: required for llama2.c .bin files without a
  // tokenizer.model beside them.
  std::optional<std::filesystem::path> tokenizer;
};

// Reads the model at `input` (a Hugging Face directory or a llama2.c .bin)
// and writes `output` (created if missing): model.safetensors, config.json,
// generation_config.json and the tokenizer and other non-weight files.
// Throws attn::Error when the input cannot be loaded or `output` cannot be
// written (or is the input itself).
void quantize_model(const std::filesystem::path& input, const std::filesystem::path& output,
                    const QuantizeOptions& options = {});

}  // namespace attn
