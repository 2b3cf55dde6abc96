// Model::load: checkpoint loader -> architecture builder -> tokenizer.
#include <cmath>
#include <string>

#include "attn/error.h"
#include "engine/model_impl.h"
#include "loaders/checkpoint.h"
#include "loaders/json_value.h"
#include "loaders/sentence_transformers.h"
#include "models/architectures.h"
#include "engine/ops/onnx_graph.h"
#include "models/linear_weights.h"
#include "models/onnx_import.h"
#include "models/weight_type.h"

namespace attn {
namespace {

// An id or a list of ids; null or [] is none.
std::vector<TokenId> read_token_ids(const nlohmann::json& value, const std::string& where) {
  std::vector<TokenId> ids;
  if (value.is_array()) {
    for (const auto& id : value) ids.push_back(json_int<TokenId>(id, where));
  } else if (!value.is_null()) {
    ids.push_back(json_int<TokenId>(value, where));
  }
  return ids;
}

// generation_config.json wins over config.json, as in Hugging Face.
std::vector<TokenId> eos_ids(const Checkpoint& checkpoint, const Tokenizer& tokenizer) {
  const auto& config = checkpoint.config;
  if (config.contains("generation") && config["generation"].contains("eos_token_id")) {
    auto ids = read_token_ids(config["generation"]["eos_token_id"], "generation_config.json: eos_token_id");
    if (!ids.empty()) return ids;
  }
  if (config.contains("eos_token_id")) {
    auto ids = read_token_ids(config["eos_token_id"], "config.json: eos_token_id");
    if (!ids.empty()) return ids;
  }
  if (tokenizer.eos_id() >= 0) return {tokenizer.eos_id()};
  return {};
}

ModelInfo describe(const Checkpoint& checkpoint, const std::string& architecture, const BuiltModel& built) {
  ModelInfo info;
  info.architecture = architecture;
  info.source_format = checkpoint.format;
  info.path = checkpoint.path;
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    info.parameter_count += entry.tensor.numel();
    info.parameters_by_dtype[std::string(dtype_name(entry.tensor.dtype()))] += entry.tensor.numel();
    info.weight_bytes += static_cast<int64_t>(entry.tensor.nbytes_with_scales());  // ops read weights as stored
  }
  info.vocab_size = built.vocab_size;
  info.hidden_size = built.hidden_size;
  info.num_layers = built.num_layers;
  info.num_heads = built.num_heads;
  info.num_kv_heads = built.num_kv_heads;
  info.context_length = built.context_length;
  info.encoder = built.encoder;
  info.type_vocab_size = built.type_vocab_size;
  info.class_labels = built.class_labels;
  const auto& config = checkpoint.config;
  info.multi_label = config.contains("problem_type") && config["problem_type"] == "multi_label_classification";
  info.graph_ops = built.graph.op_counts();
  info.graph_nodes = built.graph.value_count();
  // The fusion pass maps whole ONNX graphs or fails (onnx_import.h).
  if (checkpoint.onnx) {
    const bool op_by_op = info.graph_ops.contains(std::string(kOnnxGraphOpName));
    (op_by_op ? info.onnx_primitive_nodes : info.onnx_fused_nodes) = static_cast<int>(checkpoint.onnx->graph.node_count());
  }
  return info;
}

}  // namespace

namespace {

std::shared_ptr<const Tokenizer> checked_tokenizer(const Checkpoint& checkpoint, int vocab_size) {
  if (!checkpoint.tokenizer) {
    throw Error(checkpoint.path.string() + ": no tokenizer found beside the model (looked for tokenizer.json and "
                "tokenizer.model); pass one with --tokenizer PATH");
  }
  auto tokenizer = load_tokenizer(*checkpoint.tokenizer);
  if (tokenizer->vocab_size() > vocab_size) {
    throw Error(checkpoint.tokenizer->string() + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                " tokens but the model's vocabulary has " + std::to_string(vocab_size) +
                "; this tokenizer belongs to another model");
  }
  return tokenizer;
}

std::string architecture_name(const Checkpoint& checkpoint) {
  const auto& names = checkpoint.config.value("architectures", nlohmann::json::array());
  return !names.empty() && names[0].is_string() ? names[0].get<std::string>() : "ONNX decoder";
}

}  // namespace

std::shared_ptr<const Model> Model::assemble(const Checkpoint& checkpoint, const std::string& architecture,
                                             BuiltModel built, std::shared_ptr<const Tokenizer> tokenizer,
                                             const std::string& onnx_unfused_reason) {
  auto impl = std::make_unique<Impl>();
  impl->info = describe(checkpoint, architecture, built);
  impl->info.onnx_unfused_reason = onnx_unfused_reason;
  impl->info.eos_ids = eos_ids(checkpoint, *tokenizer);
  impl->graph = std::move(built.graph);
  impl->tokenizer = std::move(tokenizer);
  if (built.encoder && checkpoint.format == "huggingface") impl->embedding = read_sentence_transformers(checkpoint.path);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  Checkpoint checkpoint = load_checkpoint(path, options.tokenizer);
  if (checkpoint.onnx && options.dtype) {
    throw Error(path.string() + ": converting weights (--dtype) is not supported for ONNX models yet; "
                "load it without --dtype");
  }
  if (options.dtype) convert_linear_weights(checkpoint, to_dtype(*options.dtype));
  if (checkpoint.onnx) {
    // Each reading of the graph the fusion passes offer is checked against
    // the graph run op by op; the first that computes the same outputs wins.
    // A graph they cannot map runs op by op: correct, not fast.
    std::string unfused;
    std::vector<BuiltModel> candidates;
    try {
      candidates = fuse_onnx_model(checkpoint);
    } catch (const Error& e) {
      unfused = e.what();
    }
    std::shared_ptr<const Tokenizer> tokenizer;
    double closest = INFINITY;
    for (BuiltModel& candidate : candidates) {
      if (!tokenizer) tokenizer = checked_tokenizer(checkpoint, candidate.vocab_size);
      auto model = assemble(checkpoint, architecture_name(checkpoint), std::move(candidate), tokenizer);
      const double difference = fused_logits_difference(model, checkpoint);
      if (difference <= kFusionTolerance) return model;
      closest = std::min(closest, difference);
    }
    if (unfused.empty()) {
      unfused = "the fused graph differs from the ONNX graph (relative difference " + std::to_string(closest) + ")";
    }
    BuiltModel op_by_op = onnx_op_by_op_model(checkpoint);
    if (!tokenizer) tokenizer = checked_tokenizer(checkpoint, op_by_op.vocab_size);
    return assemble(checkpoint, architecture_name(checkpoint), std::move(op_by_op), tokenizer, unfused);
  }
  const Architecture& architecture = find_architecture(checkpoint);
  BuiltModel built = architecture.build(checkpoint);
  auto tokenizer = checked_tokenizer(checkpoint, built.vocab_size);
  return assemble(checkpoint, std::string(architecture.name), std::move(built), std::move(tokenizer));
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }
const Tokenizer& Model::tokenizer() const { return *impl_->tokenizer; }
std::shared_ptr<const Tokenizer> Model::shared_tokenizer() const { return impl_->tokenizer; }

}  // namespace attn
