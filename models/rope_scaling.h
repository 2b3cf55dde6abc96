// The RoPE frequencies a Hugging Face config asks for: rope_theta,
// partial_rotary_factor and rope_scaling (llama3, linear, dynamic, yarn,
// longrope), computed as transformers' modeling_rope_utils does.
#pragma once

#include <optional>

#include "engine/ops/rope.h"
#include "models/config_reader.h"

namespace attn {

// `head_dim`: the attention head width; `theta`: the base to use (Gemma 3's
// local layers pass rope_local_base_freq); `scaling`: false ignores
// rope_scaling (Gemma 3's local layers). Fails naming the config key on an
// unknown rope_type, a missing or malformed parameter.
RopeFrequencies rope_frequencies(const ConfigReader& config, int head_dim, double theta, bool scaling = true);

}  // namespace attn
