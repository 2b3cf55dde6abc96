// Which tensors of a checkpoint are Linear weights, and converting them.
// The architecture builders are the one place that knows, so the graph they
// build is asked: a tensor is a Linear weight when a Linear op reads it in
// place. (GPT-2's Conv1D projections are transposed into f32 copies while
// building, so they are not found and keep their type.)
#pragma once

#include "engine/tensor.h"
#include "loaders/checkpoint.h"

namespace attn {

// Replaces every Linear weight of the checkpoint with its `target` version.
void convert_linear_weights(Checkpoint& checkpoint, DType target);

}  // namespace attn
