// The inputs of an imported language-model graph for one sequence of token
// ids, by the names exporters use: input_ids, attention_mask (all ones),
// position_ids (0..n-1), token_type_ids (zeros), past_key_values.* (empty:
// nothing cached) and use_cache_branch (false).
#pragma once

#include <map>
#include <span>
#include <string>

#include "attn/tokenizer.h"
#include "engine/interpreter/graph_ir.h"

namespace attn::interpreter {

// Throws attn::Error naming `where` for an input none of those names fits.
std::map<std::string, Array> sequence_inputs(const GraphIR& graph, std::span<const TokenId> ids,
                                             const std::string& where);

}  // namespace attn::interpreter
