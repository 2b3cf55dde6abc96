// What every way of generating checks first (sampling and beam search alike).
#pragma once

#include <span>

#include "attn/model.h"

namespace attn {

// Throws attn::Error when the prompt is empty or leaves no room in the context.
void check_fits(std::span<const TokenId> ids, int context_length);
// Throws attn::Error for models that give no next-token logits (encoders).
void check_generates(const Model& model);

}  // namespace attn
