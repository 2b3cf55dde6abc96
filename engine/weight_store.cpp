#include "engine/weight_store.h"

#include "attn/error.h"

namespace attn {

void WeightStore::add(std::string name, Tensor tensor, std::string source) {
  tensors_.insert_or_assign(std::move(name), Entry{std::move(tensor), std::move(source)});
}

void WeightStore::remove(std::string_view name) {
  auto it = tensors_.find(name);
  if (it != tensors_.end()) tensors_.erase(it);
}

bool WeightStore::contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

const Tensor* WeightStore::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second.tensor;
}

const Tensor& WeightStore::get(std::string_view name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    throw Error(description_ + ": tensor '" + std::string(name) +
                "' is missing; the checkpoint is incomplete or not of the architecture its config names");
  }
  return it->second.tensor;
}

const Tensor& WeightStore::get(std::string_view name, const Shape& expected_shape) const {
  const Tensor& tensor = get(name);
  if (tensor.shape() != expected_shape) {
    throw Error(source_of(name) + ": tensor '" + std::string(name) + "' has shape " +
                shape_to_string(tensor.shape()) + " but the config implies " +
                shape_to_string(expected_shape) + "; the weights do not match config.json");
  }
  return tensor;
}

const std::string& WeightStore::source_of(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? description_ : it->second.source;
}

int64_t WeightStore::parameter_count() const {
  int64_t total = 0;
  for (const auto& [name, entry] : tensors_) total += entry.tensor.numel();
  return total;
}

}  // namespace attn
