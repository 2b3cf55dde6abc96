// Reads ONNX files (onnx::ModelProto) into the interpreter's GraphIR.
// Initializers stay where the bytes already are: views into the parsed
// protobuf's raw_data (the parser's one copy) or into the memory-mapped
// external data files (`model.onnx_data`), never copied again.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/interpreter/graph_ir.h"

namespace attn {

// Throws attn::Error naming the file for unreadable, truncated or malformed
// files, bad tensors and external data outside its file.
std::shared_ptr<const interpreter::ModelIR> read_onnx_model(const std::filesystem::path& path);

// One serialized onnx::TensorProto (the backend tests' input_N.pb / output_N.pb).
interpreter::Array read_onnx_tensor(const std::filesystem::path& path);

}  // namespace attn
