// How attn stores int8 weights in safetensors: `X` as I8 [rows, ...] and
// `X_scale` as F32 [rows], one symmetric scale per output channel (row of a
// Linear weight), value = X[r, ...] * X_scale[r]. config.json documents the
// scheme in a "quantization" entry (int8_quantization_entry()), in the
// vocabulary of compressed-tensors' quantization args.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "loaders/checkpoint.h"

namespace attn {

inline constexpr std::string_view kInt8ScaleSuffix = "_scale";

nlohmann::json int8_quantization_entry();

// Attaches every I8 tensor's scales and drops the `_scale` entries. Throws
// attn::Error when I8 tensors come without the config entry or their scales,
// when the entry names another scheme, or when a scale tensor is misshapen.
void attach_int8_scales(Checkpoint& checkpoint);

// The store's tensors as they are written to safetensors: int8 tensors
// followed by their `_scale` tensors, Q4_0 ones as their bytes (q4_0_format.h).
std::vector<std::pair<std::string, Tensor>> tensors_for_safetensors(const WeightStore& weights);

}  // namespace attn
