// ONNX graphs on the interpreter (engine/interpreter/): the model for a graph
// no recogniser mapped (loaders/onnx/recognise.h), and the check of a
// recognised model against its graph that tests and ATTN_ONNX_VERIFY=1 run.
#pragma once

#include <memory>

#include "attn/model.h"
#include "loaders/checkpoint.h"
#include "models/architectures.h"

namespace attn {

// The whole graph as one op run by the interpreter (OnnxGraphOp);
// shape facts from config.json.
BuiltModel build_interpreted_graph(const Checkpoint& checkpoint);

// Largest difference, relative to the outputs' scale, between `model` (built
// from the recognised checkpoint) and the checkpoint's ONNX graph run op by
// op, on a few probe tokens: the graph's first output (logits or hidden
// states) against the model's rows.
double difference_from_graph(const std::shared_ptr<const Model>& model, const Checkpoint& checkpoint);

// Accepted relative difference: float32 summation order only.
inline constexpr double kGraphTolerance = 1e-4;

}  // namespace attn
