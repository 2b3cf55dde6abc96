// Kernels that move elements without arithmetic: Transpose, Concat, Slice,
// Split, Expand, Tile, Gather, Trilu. They copy elements by size, so one
// implementation serves every element type.
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "attn/error.h"
#include "engine/interpreter/broadcast.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {
namespace {

// Calls f(U{}) with an unsigned integer type as wide as one element.
template <typename F>
void visit_bits(DType type, F&& f) {
  switch (dtype_size(type)) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

// out[i] = x[offset(i)] where offset walks `strides` over `out_shape`, starting at `base`.
Array gather_strided(const Array& x, const Shape& out_shape, const std::vector<int64_t>& strides, int64_t base = 0) {
  Array out(x.type(), out_shape);
  visit_bits(x.type(), [&](auto tag) {
    using U = decltype(tag);
    const U* in = x.as<U>() + base;
    U* o = out.mutable_as<U>();
    const std::array<std::vector<int64_t>, 1> s{strides};
    for_each_broadcast(out_shape, s, [&](int64_t i, const std::array<int64_t, 1>& at) { o[i] = in[at[0]]; });
  });
  return out;
}

Kernel make_transpose(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const auto perm_attr = node.get_ints("perm");
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    std::vector<int64_t> perm(x.rank());
    if (perm_attr) {
      perm = *perm_attr;
    } else {
      std::iota(perm.rbegin(), perm.rend(), 0);  // default: reverse the axes
    }
    return std::vector<Array>{transpose_array(x, perm, name)};
  };
}

Kernel make_concat(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t axis_attr = node.get_int("axis", 0);
  return [=](Inputs in) {
    const Array& first = required_input(in, 0, name);
    if (first.rank() == 0) throw Error(name + ": cannot concatenate scalars");
    const int64_t axis = normalize_axis(axis_attr, first.rank(), name);
    Shape shape = first.shape();
    shape[axis] = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Array& a = required_input(in, i, name);
      bool compatible = a.rank() == first.rank() && a.type() == first.type();
      for (int d = 0; compatible && d < a.rank(); ++d) compatible = d == axis || a.shape()[d] == first.shape()[d];
      if (!compatible) throw Error(name + ": cannot concatenate " + first.describe() + " and " + a.describe());
      shape[axis] += a.shape()[axis];
    }
    Array out(first.type(), shape);
    const int64_t outer = shape_numel(Shape(shape.begin(), shape.begin() + axis));
    const size_t size = dtype_size(first.type());
    const int64_t out_row = shape_numel(Shape(shape.begin() + axis, shape.end())) * static_cast<int64_t>(size);
    int64_t column = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Array& a = *in[i];
      const int64_t row = shape_numel(Shape(a.shape().begin() + axis, a.shape().end())) * static_cast<int64_t>(size);
      for (int64_t o = 0; o < outer && row > 0; ++o) {
        std::memcpy(out.mutable_as<std::byte>() + o * out_row + column, a.as<std::byte>() + o * row, row);
      }
      column += row;
    }
    return std::vector<Array>{out};
  };
}

// Slice: starts/ends/axes/steps are attributes before opset 10, inputs since.
Kernel make_slice(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const auto starts_attr = node.get_ints("starts"), ends_attr = node.get_ints("ends"), axes_attr = node.get_ints("axes");
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset < 10) {
      starts = starts_attr.value_or(std::vector<int64_t>{});
      ends = ends_attr.value_or(std::vector<int64_t>{});
      axes = axes_attr.value_or(std::vector<int64_t>{});
    } else {
      starts = required_input(in, 1, name).to_i64s();
      ends = required_input(in, 2, name).to_i64s();
      if (const Array* a = optional_input(in, 3)) axes = a->to_i64s();
      if (const Array* s = optional_input(in, 4)) steps = s->to_i64s();
    }
    if (axes.empty()) {
      axes.resize(starts.size());
      std::iota(axes.begin(), axes.end(), 0);
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
      throw Error(name + ": starts, ends, axes and steps differ in length");
    }
    const Shape in_strides = contiguous_strides(x.shape());
    Shape shape = x.shape();
    std::vector<int64_t> strides(in_strides.begin(), in_strides.end());
    int64_t base = 0;
    for (size_t i = 0; i < axes.size(); ++i) {
      const int64_t axis = normalize_axis(axes[i], x.rank(), name);
      const int64_t dim = x.shape()[axis], step = steps[i];
      if (step == 0) throw Error(name + ": step 0");
      // Clamp as the ONNX spec says: INT64_MAX ends mean "to the end".
      auto resolve = [dim](int64_t v) { return v < 0 ? (v < -dim ? -1 : v + dim) : v; };
      int64_t start = resolve(starts[i]), end = resolve(ends[i]);
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
      } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
      }
      const int64_t count = step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step)
                                     : std::max<int64_t>(0, (start - end - step - 1) / -step);
      shape[axis] = count;
      if (count > 0) base += start * in_strides[axis];
      strides[axis] = in_strides[axis] * step;
    }
    return std::vector<Array>{gather_strided(x, shape, strides, shape_numel(shape) == 0 ? 0 : base)};
  };
}

// Split: sizes from the `split` attribute (< 13) or input, else equal parts
// (the last one smaller when opset 18's num_outputs does not divide the axis).
Kernel make_split(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const int64_t axis_attr = node.get_int("axis", 0);
  const auto split_attr = node.get_ints("split");
  const int64_t parts = static_cast<int64_t>(node.outputs.size());
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const int64_t axis = normalize_axis(axis_attr, x.rank(), name);
    const int64_t dim = x.shape()[axis];
    std::vector<int64_t> sizes;
    if (opset < 13 && split_attr) sizes = *split_attr;
    if (opset >= 13) {
      if (const Array* s = optional_input(in, 1)) sizes = s->to_i64s();
    }
    if (sizes.empty()) {
      const int64_t each = (dim + parts - 1) / parts;
      for (int64_t p = 0; p < parts; ++p) sizes.push_back(std::clamp<int64_t>(dim - p * each, 0, each));
    }
    if (static_cast<int64_t>(sizes.size()) != parts ||
        std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != dim) {
      throw Error(name + ": split sizes do not add up to dimension " + std::to_string(dim) + " of " + x.describe());
    }
    const Shape in_strides = contiguous_strides(x.shape());
    std::vector<Array> outputs;
    int64_t offset = 0;
    for (int64_t size : sizes) {
      Shape shape = x.shape();
      shape[axis] = size;
      outputs.push_back(gather_strided(x, shape, std::vector<int64_t>(in_strides.begin(), in_strides.end()),
                                       size > 0 ? offset * in_strides[axis] : 0));
      offset += size;
    }
    return outputs;
  };
}

Kernel make_expand(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const Shape target = required_input(in, 1, name).to_i64s();
    const Shape shape = broadcast_shapes(x.shape(), target, name);
    return std::vector<Array>{gather_strided(x, shape, broadcast_strides(x.shape(), shape))};
  };
}

Kernel make_tile(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const std::vector<int64_t> repeats = required_input(in, 1, name).to_i64s();
    if (static_cast<int>(repeats.size()) != x.rank()) throw Error(name + ": repeats must have one entry per axis");
    Shape shape = x.shape();
    for (int d = 0; d < x.rank(); ++d) {
      if (repeats[d] < 0) throw Error(name + ": negative repeat");
      shape[d] *= repeats[d];
    }
    Array out(x.type(), shape);
    const Shape in_strides = contiguous_strides(x.shape());
    const Shape out_strides = contiguous_strides(shape);
    visit_bits(x.type(), [&](auto tag) {
      using U = decltype(tag);
      for (int64_t i = 0; i < out.numel(); ++i) {
        int64_t rest = i, offset = 0;
        for (int d = 0; d < x.rank(); ++d) {
          offset += ((rest / out_strides[d]) % x.shape()[d]) * in_strides[d];
          rest %= out_strides[d];
        }
        out.mutable_as<U>()[i] = x.as<U>()[offset];
      }
    });
    return std::vector<Array>{out};
  };
}

Kernel make_gather(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t axis_attr = node.get_int("axis", 0);
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const Array& indices_array = required_input(in, 1, name);
    const std::vector<int64_t> indices = indices_array.to_i64s();
    const int64_t axis = normalize_axis(axis_attr, x.rank(), name);
    const int64_t dim = x.shape()[axis];
    Shape shape(x.shape().begin(), x.shape().begin() + axis);
    shape.insert(shape.end(), indices_array.shape().begin(), indices_array.shape().end());
    shape.insert(shape.end(), x.shape().begin() + axis + 1, x.shape().end());
    const int64_t outer = shape_numel(Shape(x.shape().begin(), x.shape().begin() + axis));
    const size_t row = static_cast<size_t>(shape_numel(Shape(x.shape().begin() + axis + 1, x.shape().end()))) *
                       dtype_size(x.type());
    Array out(x.type(), shape);
    auto* dst = out.mutable_as<std::byte>();
    for (int64_t o = 0; o < outer; ++o) {
      for (size_t k = 0; k < indices.size(); ++k) {
        int64_t index = indices[k];
        if (index < -dim || index >= dim) {
          throw Error(name + ": index " + std::to_string(index) + " is out of range for dimension " + std::to_string(dim));
        }
        if (index < 0) index += dim;
        std::memcpy(dst + (o * indices.size() + k) * row, x.as<std::byte>() + (o * dim + index) * row, row);
      }
    }
    return std::vector<Array>{out};
  };
}

Kernel make_trilu(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const bool upper = node.get_int("upper", 1) != 0;
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    if (x.rank() < 2) throw Error(name + ": expects rank >= 2, got " + x.describe());
    int64_t k = 0;
    if (const Array* k_input = optional_input(in, 1)) {
      const std::vector<int64_t> values = k_input->to_i64s();
      if (values.size() != 1) throw Error(name + ": k must be a scalar");
      k = values[0];
    }
    const int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
    Array out(x.type(), x.shape());
    std::memcpy(out.mutable_as<std::byte>(), x.data(), x.nbytes());
    const size_t size = dtype_size(x.type());
    for (int64_t i = 0; i < out.numel(); ++i) {
      const int64_t c = i % cols, r = (i / cols) % rows;
      const bool keep = upper ? c - r >= k : c - r <= k;
      if (!keep) std::memset(out.mutable_as<std::byte>() + i * size, 0, size);
    }
    return std::vector<Array>{out};
  };
}

}  // namespace

Array transpose_array(const Array& x, const std::vector<int64_t>& perm, const std::string& node) {
  if (static_cast<int>(perm.size()) != x.rank()) throw Error(node + ": perm does not match the rank of " + x.describe());
  const Shape in_strides = contiguous_strides(x.shape());
  Shape shape(perm.size());
  std::vector<int64_t> strides(perm.size());
  std::vector<bool> seen(perm.size(), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    const int64_t p = normalize_axis(perm[i], x.rank(), node);
    if (seen[p]) throw Error(node + ": perm repeats axis " + std::to_string(p));
    seen[p] = true;
    shape[i] = x.shape()[p];
    strides[i] = in_strides[p];
  }
  return gather_strided(x, shape, strides);
}

void register_layout_kernels(KernelTable& t) {
  t[":Transpose"] = make_transpose;
  t[":Concat"] = make_concat;
  t[":Slice"] = make_slice;
  t[":Split"] = make_split;
  t[":Expand"] = make_expand;
  t[":Tile"] = make_tile;
  t[":Gather"] = make_gather;
  t[":Trilu"] = make_trilu;
}

}  // namespace attn::interpreter
