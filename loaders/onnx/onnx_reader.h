// Reads ONNX files (onnx.proto's ModelProto) into the interpreter's GraphIR.
// The file is memory-mapped and decoded in place (onnx_messages.h), so
// initializers stay where the bytes already are: views into the mapped
// .onnx file's raw_data or into the mapped external data files
// (`model.onnx_data`), copied only when their address does not suit the
// element type.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/interpreter/graph_ir.h"

namespace attn {

// Throws attn::Error naming the file for unreadable, truncated or malformed
// files, bad tensors and external data outside its file.
std::shared_ptr<const interpreter::ModelIR> read_onnx_model(const std::filesystem::path& path);

// One serialized TensorProto (the backend tests' input_N.pb / output_N.pb).
interpreter::Array read_onnx_tensor(const std::filesystem::path& path);

}  // namespace attn
