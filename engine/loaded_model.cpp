#include "engine/loaded_model.h"

#include "attn/error.h"

namespace attn {

const LoadedModel& LoadedModel::of(const Model& model) {
  const auto* loaded = dynamic_cast<const LoadedModel*>(&model);
  if (!loaded) throw Error("this Model was not made by attn::Model::load; Sessions run only loaded models");
  return *loaded;
}

}  // namespace attn
