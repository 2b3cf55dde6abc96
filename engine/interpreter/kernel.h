// How the interpreter runs one node: a factory reads the node's attributes
// once (when the program is built) and returns a Kernel that does only the
// work. Each op family registers its factories in one file.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "engine/interpreter/array.h"
#include "engine/interpreter/graph_ir.h"

namespace attn::interpreter {

// A node's inputs in order; nullptr for an omitted optional input.
using Inputs = std::span<const Array* const>;
using Kernel = std::function<std::vector<Array>(Inputs inputs)>;
using KernelFactory = Kernel (*)(const NodeIR& node, int64_t opset);

// Key: "domain:op_type", with "" and "ai.onnx" both written as "".
using KernelTable = std::map<std::string, KernelFactory, std::less<>>;
std::string kernel_key(const std::string& domain, const std::string& op_type);

// Every op the interpreter runs, built once.
const KernelTable& kernel_table();

void register_elementwise_kernels(KernelTable& table);
void register_reduction_kernels(KernelTable& table);
void register_shape_kernels(KernelTable& table);
void register_layout_kernels(KernelTable& table);
void register_matmul_kernels(KernelTable& table);

// a + b with broadcasting (Add's kernel), for kernels that add as one step.
Array add_arrays(const Array& a, const Array& b, const std::string& node);
// x with its axes permuted (Transpose's kernel): output axis i is input axis perm[i].
Array transpose_array(const Array& x, const std::vector<int64_t>& perm, const std::string& node);

// Input `index`, which the op requires; throws naming the node otherwise.
const Array& required_input(Inputs inputs, size_t index, const std::string& node);
// Input `index` when given (present and not omitted), else nullptr.
const Array* optional_input(Inputs inputs, size_t index);
// An axis attribute or input in [-rank, rank) normalised to [0, rank).
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& node);

}  // namespace attn::interpreter
