// WeightStore: the named tensors of a checkpoint, as views into mapped files.
// Lookups validate presence and shape in one place, so every model builder
// reports a missing or misshapen tensor the same way.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "engine/tensor.h"

namespace attn {

class WeightStore {
 public:
  // `source` names where the tensor came from (a file path), for errors.
  // Replaces a tensor of the same name.
  void add(std::string name, Tensor tensor, std::string source);
  void remove(std::string_view name);

  bool contains(std::string_view name) const;
  const Tensor* find(std::string_view name) const;
  // Throws attn::Error naming the tensor and the checkpoint when missing.
  const Tensor& get(std::string_view name) const;
  // As get(), and also checks the shape.
  const Tensor& get(std::string_view name, const Shape& expected_shape) const;

  const std::string& source_of(std::string_view name) const;
  size_t size() const { return tensors_.size(); }
  int64_t parameter_count() const;

  struct Entry {
    Tensor tensor;
    std::string source;
  };
  const std::map<std::string, Entry, std::less<>>& entries() const { return tensors_; }

  // Description of the checkpoint used in messages when a tensor is missing.
  void set_description(std::string description) { description_ = std::move(description); }
  const std::string& description() const { return description_; }

 private:
  std::map<std::string, Entry, std::less<>> tensors_;
  std::string description_;
};

}  // namespace attn
