#include "loaders/hf_directory.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "attn/error.h"
#include "json/checked.h"
#include "loaders/safetensors.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_file(const fs::path& path) {
  std::error_code ignored;  // unreadable counts as absent; opening it later reports why
  return fs::is_regular_file(path, ignored);
}

json read_json_object(const fs::path& path) {
  const json value = read_json_file(path);
  if (!value.is_object()) throw Error(path.string() + ": expected a JSON object; fix or re-download the file");
  return value;
}

}  // namespace

json read_hf_config(const fs::path& dir) {
  const fs::path config_path = dir / "config.json";
  if (!is_file(config_path)) {
    throw Error(dir.string() + ": no config.json; a Hugging Face model directory needs the config.json "
                               "published with the weights");
  }
  json config = read_json_object(config_path);
  const fs::path generation_path = dir / "generation_config.json";
  if (is_file(generation_path)) config["generation"] = read_json_object(generation_path);
  return config;
}

namespace {

void add_safetensors(const fs::path& file, WeightStore& weights) {
  for (auto& [name, tensor] : read_safetensors(file).tensors) weights.add(name, std::move(tensor), file.string());
}

// weight_map names the shard of every tensor; each shard is mapped once.
void add_shards(const fs::path& dir, const fs::path& index_path, WeightStore& weights) {
  const json index = read_json_object(index_path);
  const auto weight_map = index.find("weight_map");
  if (weight_map == index.end() || !weight_map->is_object()) {
    throw Error(index_path.string() + ": no \"weight_map\" object; fix or re-download the file");
  }
  std::set<std::string> shards;
  for (const auto& [name, shard] : weight_map->items()) {
    if (!shard.is_string()) {
      throw Error(index_path.string() + ": weight_map entry for '" + name + "' is not a file name");
    }
    shards.insert(shard.get<std::string>());
  }
  for (const std::string& shard : shards) {
    if (!is_file(dir / shard)) {
      throw Error(index_path.string() + ": lists shard '" + shard + "', which is missing from " + dir.string() +
                  "; download every file the index names");
    }
    add_safetensors(dir / shard, weights);
  }
  for (const auto& [name, shard] : weight_map->items()) {
    if (!weights.contains(name)) {
      throw Error((dir / shard.get<std::string>()).string() + ": has no tensor '" + name + "', which " +
                  index_path.filename().string() + " places there; the shard does not match the index");
    }
  }
}

void add_weights(const fs::path& dir, WeightStore& weights) {
  if (is_file(dir / "model.safetensors")) return add_safetensors(dir / "model.safetensors", weights);
  if (is_file(dir / "model.safetensors.index.json")) {
    return add_shards(dir, dir / "model.safetensors.index.json", weights);
  }
  throw Error(dir.string() + ": no model.safetensors or model.safetensors.index.json; attn reads only "
                             "safetensors weights, convert other formats (e.g. pytorch_model.bin) to safetensors");
}

}  // namespace

Checkpoint load_hf_directory(const fs::path& dir) {
  Checkpoint checkpoint;
  checkpoint.path = dir;
  checkpoint.format = "huggingface";
  checkpoint.config = read_hf_config(dir);
  add_weights(dir, checkpoint.weights);
  if (is_file(dir / "tokenizer.json") || is_file(dir / "tokenizer.model") || is_file(dir / "source.spm") ||
      is_file(dir / "spiece.model") || is_file(dir / "sentencepiece.bpe.model")) {
    // source.spm: Marian's (tokenizer/marian_tokenizer.h); spiece.model: T5's; sentencepiece.bpe.model: M2M-100's and NLLB's
    checkpoint.tokenizer = dir;
  }
  return checkpoint;
}

}  // namespace attn
