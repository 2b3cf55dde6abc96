// The loop attn::embed and attn::classify share: texts (or text pairs) ->
// encodings that fit the model -> packed encoder batches -> one callback per
// text, in input order, while its batch's outputs are valid.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "attn/model.h"

namespace attn {

struct EncoderText {
  std::string_view first;
  std::optional<std::string_view> second;  // sentence pairs
};

struct EncoderBatching {
  int batch_size = 32;
  int max_length = 0;     // tokens per sequence, special ones included; 0: the session's context
  bool truncate = false;  // cut over-long texts to max_length instead of failing
};

// `visit(text index, index within the batch, the text's hidden-state rows,
// whether it was truncated)`. Throws attn::Error (naming the text, 1-based,
// when there are several) for invalid UTF-8, an empty encoding or, without truncate, one too long.
void run_encoder_batches(
    Session& session, std::span<const EncoderText> texts, const EncoderBatching& batching,
    const std::function<void(size_t text, size_t in_batch, std::span<const float> hidden, bool truncated)>& visit);

}  // namespace attn
