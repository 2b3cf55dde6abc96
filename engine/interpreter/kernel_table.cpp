#include "attn/error.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {

std::string kernel_key(const std::string& domain, const std::string& op_type) {
  return (domain == "ai.onnx" ? std::string() : domain) + ":" + op_type;
}

const KernelTable& kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    register_elementwise_kernels(t);
    register_reduction_kernels(t);
    register_shape_kernels(t);
    register_layout_kernels(t);
    register_matmul_kernels(t);
    return t;
  }();
  return table;
}

const Array& required_input(Inputs inputs, size_t index, const std::string& node) {
  if (index >= inputs.size() || !inputs[index]) {
    throw Error(node + ": required input " + std::to_string(index) + " is missing");
  }
  return *inputs[index];
}

const Array* optional_input(Inputs inputs, size_t index) { return index < inputs.size() ? inputs[index] : nullptr; }

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& node) {
  if (axis < -rank || axis >= rank) {
    throw Error(node + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace attn::interpreter
