// Kernels that make or reinterpret shapes: Shape, Size, Constant,
// ConstantOfShape, Range, Reshape, Squeeze, Unsqueeze, Flatten.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "attn/error.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {
namespace {

Kernel make_shape(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t start_attr = node.get_int("start", 0);
  const std::optional<int64_t> end_attr =
      node.find("end") ? std::optional<int64_t>(node.get_int("end", 0)) : std::nullopt;
  return [=](Inputs in) {
    const Shape& shape = required_input(in, 0, name).shape();
    const int64_t rank = static_cast<int64_t>(shape.size());
    // Start and end clamp to [0, rank] (opset 15).
    auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
    const int64_t start = clamp(start_attr), end = end_attr ? clamp(*end_attr) : rank;
    return std::vector<Array>{Array::from_i64s(std::vector<int64_t>(shape.begin() + start,
                                                                    shape.begin() + std::max(start, end)))};
  };
}

Kernel make_size(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) { return std::vector<Array>{Array::scalar_i64(required_input(in, 0, name).numel())}; };
}

// The value of a Constant node, from whichever attribute holds it.
Array constant_value(const NodeIR& node) {
  if (const Attribute* a = node.find("value")) return a->tensor;
  if (const Attribute* a = node.find("value_float")) {
    Array out(DType::F32, {});
    *out.mutable_as<float>() = a->f;
    return out;
  }
  if (const Attribute* a = node.find("value_int")) return Array::scalar_i64(a->i);
  if (const Attribute* a = node.find("value_floats")) {
    Array out(DType::F32, {static_cast<int64_t>(a->floats.size())});
    std::copy(a->floats.begin(), a->floats.end(), out.mutable_as<float>());
    return out;
  }
  if (const Attribute* a = node.find("value_ints")) return Array::from_i64s(a->ints);
  throw Error(node.describe() + ": no value attribute this reader supports (value, value_float(s), value_int(s))");
}

Kernel make_constant(const NodeIR& node, int64_t) {
  const Array value = constant_value(node);
  return [value](Inputs) { return std::vector<Array>{value}; };
}

Shape shape_from(const Array& shape_input, const std::string& name) {
  if (shape_input.rank() > 1) throw Error(name + ": the shape input must be 1-D, got " + shape_input.describe());
  Shape shape = shape_input.to_i64s();
  for (int64_t d : shape) {
    if (d < 0) throw Error(name + ": negative dimension in shape " + shape_to_string(shape));
  }
  return shape;
}

Kernel make_constant_of_shape(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  Array value(DType::F32, {1});
  if (const Attribute* a = node.find("value")) value = a->tensor;
  if (value.numel() != 1) throw Error(name + ": value must hold one element");
  return [name, value](Inputs in) {
    Array out(value.type(), shape_from(required_input(in, 0, name), name));
    const size_t size = dtype_size(value.type());
    auto* dst = out.mutable_as<std::byte>();
    for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(dst + i * size, value.data(), size);
    return std::vector<Array>{out};
  };
}

Kernel make_range(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& start = required_input(in, 0, name);
    const Array& limit = required_input(in, 1, name);
    const Array& delta = required_input(in, 2, name);
    for (const Array* a : {&start, &limit, &delta}) {
      if (a->numel() != 1 || a->type() != start.type()) throw Error(name + ": inputs must be scalars of one type");
    }
    const double d = delta.element_as_double(0);
    if (d == 0) throw Error(name + ": delta is zero");
    const double s = start.element_as_double(0), l = limit.element_as_double(0);
    const int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((l - s) / d)));
    Array out(start.type(), {count});
    visit_type(start.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        throw Error(name + ": Range of bool is not defined");
      } else {
        using C = Compute<T>;
        const C first = C(start.as<T>()[0]), step = C(delta.as<T>()[0]);
        for (int64_t i = 0; i < count; ++i) out.mutable_as<T>()[i] = T(C(first + C(i) * step));
      }
    });
    return std::vector<Array>{out};
  };
}

Kernel make_reshape(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const bool allowzero = node.get_int("allowzero", 0) != 0;
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const std::vector<int64_t> requested = required_input(in, 1, name).to_i64s();
    Shape shape(requested.size());
    int64_t known = 1;
    int inferred = -1;
    for (size_t i = 0; i < requested.size(); ++i) {
      int64_t d = requested[i];
      if (d == 0 && !allowzero) {
        if (i >= x.shape().size()) throw Error(name + ": 0 in the shape copies a dimension the input lacks");
        d = x.shape()[i];
      }
      if (d == -1) {
        if (inferred >= 0) throw Error(name + ": more than one -1 in the target shape");
        inferred = static_cast<int>(i);
        continue;
      }
      if (d < 0) throw Error(name + ": invalid dimension " + std::to_string(d) + " in the target shape");
      shape[i] = d;
      if (__builtin_mul_overflow(known, d, &known)) {
        throw Error(name + ": the element count of the target shape " + shape_to_string(requested) + " overflows int64");
      }
    }
    if (inferred >= 0) {
      if (known == 0 || x.numel() % known != 0) {
        throw Error(name + ": cannot reshape " + x.describe() + " to " + shape_to_string(requested));
      }
      shape[inferred] = x.numel() / known;
    }
    if (shape_numel(shape) != x.numel()) {
      throw Error(name + ": cannot reshape " + x.describe() + " to " + shape_to_string(requested));
    }
    return std::vector<Array>{x.reshaped(shape)};
  };
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, an input since.
std::vector<int64_t> axes_of(Inputs in, const std::optional<std::vector<int64_t>>& attr, bool from_input) {
  if (!from_input) return attr.value_or(std::vector<int64_t>{});
  const Array* axes = optional_input(in, 1);
  return axes ? axes->to_i64s() : std::vector<int64_t>{};
}

Kernel make_squeeze(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const auto attr = node.get_ints("axes");
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const std::vector<int64_t> axes = axes_of(in, attr, opset >= 13);
    std::vector<bool> drop(x.rank(), false);
    if (axes.empty()) {
      for (int d = 0; d < x.rank(); ++d) drop[d] = x.shape()[d] == 1;
    }
    for (int64_t a : axes) {
      const int64_t d = normalize_axis(a, x.rank(), name);
      if (x.shape()[d] != 1) throw Error(name + ": cannot squeeze axis " + std::to_string(a) + " of " + x.describe());
      drop[d] = true;
    }
    Shape shape;
    for (int d = 0; d < x.rank(); ++d) {
      if (!drop[d]) shape.push_back(x.shape()[d]);
    }
    return std::vector<Array>{x.reshaped(shape)};
  };
}

Kernel make_unsqueeze(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const auto attr = node.get_ints("axes");
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const std::vector<int64_t> axes = axes_of(in, attr, opset >= 13);
    const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
    std::vector<bool> inserted(rank, false);
    for (int64_t a : axes) {
      const int64_t d = normalize_axis(a, rank, name);
      if (inserted[d]) throw Error(name + ": axis " + std::to_string(a) + " given twice");
      inserted[d] = true;
    }
    Shape shape;
    size_t next = 0;
    for (int64_t d = 0; d < rank; ++d) shape.push_back(inserted[d] ? 1 : x.shape()[next++]);
    return std::vector<Array>{x.reshaped(shape)};
  };
}

Kernel make_flatten(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t axis_attr = node.get_int("axis", 1);
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    // axis may equal rank here (everything in the first dimension).
    const int64_t axis = axis_attr == x.rank() ? axis_attr : normalize_axis(axis_attr, x.rank(), name);
    const Shape& shape = x.shape();
    const int64_t outer = shape_numel(Shape(shape.begin(), shape.begin() + axis));
    const int64_t inner = shape_numel(Shape(shape.begin() + axis, shape.end()));
    return std::vector<Array>{x.reshaped({outer, inner})};
  };
}

}  // namespace

void register_shape_kernels(KernelTable& t) {
  t[":Shape"] = make_shape;
  t[":Size"] = make_size;
  t[":Constant"] = make_constant;
  t[":ConstantOfShape"] = make_constant_of_shape;
  t[":Range"] = make_range;
  t[":Reshape"] = make_reshape;
  t[":Squeeze"] = make_squeeze;
  t[":Unsqueeze"] = make_unsqueeze;
  t[":Flatten"] = make_flatten;
}

}  // namespace attn::interpreter
