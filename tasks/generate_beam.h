// generate() with GenerateOptions::beam_size > 0: beam search over a
// decoder-only model's continuation.
#pragma once

#include <span>

#include "attn/generate.h"

namespace attn {

GenerateResult generate_beams(Session& session, std::span<const TokenId> prompt, const GenerateOptions& options,
                              const TextCallback& on_text);

}  // namespace attn
