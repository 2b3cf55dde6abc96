// attn::quantize_model: load a checkpoint, convert its Linear weights, write
// a Hugging Face-style directory that Model::load reads back.
#include "attn/quantize.h"

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fstream>

#include "attn/error.h"
#include "loaders/block_format.h"
#include "loaders/int8_format.h"
#include "loaders/safetensors_writer.h"
#include "models/architectures.h"
#include "models/quantize_gguf.h"
#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/weight_conversion.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_json(const fs::path& path, const json& value) {
  std::ofstream out(path, std::ios::trunc);
  out << value.dump(2) << '\n';
  out.close();
  if (!out) throw Error(path.string() + ": cannot write (" + std::strerror(errno) + ")");
}

// generation_config.json is merged into the loaded config under
// "generation"; it goes back into its own file.
void write_configs(const Checkpoint& checkpoint, DType type, const fs::path& output) {
  json config = checkpoint.config;
  config.erase("generation");
  config.erase("quantization");
  std::map<std::string, DType> block_types;
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    if (dtype_block_elements(entry.tensor.dtype()) > 1) block_types[name] = entry.tensor.dtype();
  }
  if (!block_types.empty()) {
    config["quantization"] = block_quantization_entry(block_types);
  } else if (type == DType::I8) {
    config["quantization"] = int8_quantization_entry();
  } else {
    config["torch_dtype"] = type == DType::F32 ? "float32" : type == DType::F16 ? "float16" : "bfloat16";
  }
  write_json(output / "config.json", config);
  if (checkpoint.config.contains("generation")) {
    write_json(output / "generation_config.json", checkpoint.config["generation"]);
  }
}

// The top-level files write_safetensors / write_configs replace; files of
// the same names in subfolders (1_Pooling/config.json) are copied as is.
bool is_weight_or_config(const fs::path& relative) {
  if (relative.has_parent_path()) return false;
  const std::string name = relative.string();
  return relative.extension() == ".safetensors" || name == "model.safetensors.index.json" || name == "config.json" ||
         name == "generation_config.json";
}

// Copies the contents of `from` (through any symlink) to `to`.
void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_directories(to.parent_path(), error);
  if (!error) fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) throw Error(to.string() + ": cannot copy " + from.string() + " here (" + error.message() + ")");
}

// `entry`'s path relative to the input directory, from the names alone:
// fs::relative would resolve symlinks, and a Hugging Face cache's
// snapshots/<rev>/tokenizer.json -> ../../blobs/<sha> would then land at
// OUT/../../blobs/<sha>, outside the output.
fs::path relative_inside(const fs::path& entry, const fs::path& input) {
  const fs::path relative = entry.lexically_relative(input);
  if (relative.empty() || relative.is_absolute() || *relative.begin() == "..") {
    throw Error(entry.string() + ": not inside the input directory " + input.string() + "; refusing to copy it");
  }
  return relative;
}

// Tokenizer, sentence-transformers modules and any other file that is not
// weights or config come along unchanged (a symlink's target's contents).
void copy_other_files(const Checkpoint& checkpoint, const fs::path& output, const fs::path& staging) {
  if (checkpoint.format == "huggingface") {
    for (auto it = fs::recursive_directory_iterator(checkpoint.path); it != fs::recursive_directory_iterator(); ++it) {
      std::error_code ignored;
      // An output directory inside the input: neither it nor its staging copy is input.
      if (fs::equivalent(it->path(), output, ignored) || fs::equivalent(it->path(), staging, ignored)) {
        it.disable_recursion_pending();
        continue;
      }
      const fs::path relative = relative_inside(it->path(), checkpoint.path);
      if (it->is_regular_file() && !is_weight_or_config(relative)) copy_into(it->path(), staging / relative);
    }
  }
  // A tokenizer named apart from the checkpoint (--tokenizer, or the one
  // beside a llama2.c file) is copied under the name the loader looks for.
  if (checkpoint.tokenizer && fs::is_regular_file(*checkpoint.tokenizer) &&
      checkpoint.tokenizer->parent_path() != checkpoint.path) {
    const bool is_json = checkpoint.tokenizer->extension() == ".json";
    copy_into(*checkpoint.tokenizer, staging / (is_json ? "tokenizer.json" : "tokenizer.model"));
  } else if (checkpoint.tokenizer && fs::is_directory(*checkpoint.tokenizer) &&
             *checkpoint.tokenizer != checkpoint.path) {
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
      if (fs::is_regular_file(*checkpoint.tokenizer / name)) copy_into(*checkpoint.tokenizer / name, staging / name);
    }
  }
}

// The output is written into a staging directory beside it and renamed into
// place once complete, so a failure (a full disk, a kill) never leaves a
// half-written model under the output's name. An existing output must be an
// empty directory (rename replaces those); a non-empty one is refused rather
// than deleted.
class StagedOutput {
 public:
  StagedOutput(const fs::path& input, const fs::path& output) : output_(output) {
    std::error_code error;
    if (fs::exists(output, error)) {
      if (fs::equivalent(input, output, error)) {
        throw Error(output.string() + ": is the input model; write the converted model to another directory");
      }
      if (!fs::is_directory(output, error)) throw Error(output.string() + ": cannot create the output directory (a file of that name exists)");
      if (!fs::is_empty(output, error)) {
        throw Error(output.string() + ": exists and is not empty; remove it or choose another output directory");
      }
    }
    const fs::path parent = fs::absolute(output, error).parent_path();
    fs::create_directories(parent, error);
    std::string pattern = (parent / ("." + output.filename().string() + ".attn-partial-XXXXXX")).string();
    if (error || !mkdtemp(pattern.data())) {
      throw Error(output.string() + ": cannot create the output directory (" +
                  (error ? error.message() : std::string(std::strerror(errno))) + ")");
    }
    staging_ = pattern;
  }
  ~StagedOutput() {
    std::error_code ignored;
    if (!committed_) fs::remove_all(staging_, ignored);
  }
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const fs::path& path() const { return staging_; }

  void commit() {
    std::error_code error;
    fs::permissions(staging_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec, error);
    if (!error) fs::rename(staging_, output_, error);
    if (error) throw Error(output_.string() + ": cannot move the finished model into place (" + error.message() + ")");
    committed_ = true;
  }

 private:
  fs::path output_, staging_;
  bool committed_ = false;
};

// The --dtype pass over the built graph, its converted weights written back
// under their checkpoint names. Weights the graph derives (transposed Conv1D,
// slices of fused tensors) are not stored as the graph reads them, so they
// keep their stored type in the file; loading with --dtype converts them.
void store_converted_linear_weights(Checkpoint& checkpoint, DType target, bool q4_k_m) {
  BuiltModel built = find_architecture(checkpoint).build(checkpoint);
  convert_linear_weights(built.graph, target, q4_k_m);
  for (const Node& node : built.graph.nodes()) {
    for (const LinearOp* linear : linear_ops(*node.op)) {
      if (!linear->weights().as_stored || linear->weights().source.empty()) continue;
      const std::string& name = linear->weights().source;
      checkpoint.weights.add(name, linear->weight(), checkpoint.weights.source_of(name));
    }
  }
}

}  // namespace

void quantize_model(const fs::path& input, const fs::path& output, const QuantizeOptions& options) {
  const bool gguf = options.gguf || output.extension() == ".gguf";
  if (gguf && options.type == DType::I8) {
    throw Error(output.string() + ": GGUF has no int8 type with row scales; write q8_0 instead");
  }
  Checkpoint checkpoint = load_checkpoint(input, options.tokenizer);
  if (gguf) {
    store_converted_linear_weights(checkpoint, options.type, options.q4_k_m);
    return write_gguf_model(checkpoint, options, output);
  }
  if (!checkpoint.tokenizer) {
    throw Error(input.string() + ": no tokenizer found beside the model; pass one with --tokenizer PATH so the "
                "written directory is complete");
  }
  store_converted_linear_weights(checkpoint, options.type, options.q4_k_m);
  StagedOutput staged(input, output);
  write_safetensors(staged.path() / "model.safetensors", tensors_for_safetensors(checkpoint.weights),
                    {{"format", "pt"}});
  write_configs(checkpoint, options.type, staged.path());
  copy_other_files(checkpoint, output, staged.path());
  staged.commit();
}

}  // namespace attn
